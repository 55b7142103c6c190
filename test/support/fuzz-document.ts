// The operations of e-state's OpenAPI document, read from an app built but never started (no
// store is opened), so a test file can name one test per operation before its setup runs.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createApp, readConfig } from '../../src/main/index.ts'
import { operationsOf, type Operation } from './fuzz-requests.ts'

export async function documentedOperations(): Promise<Operation[]> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'estate-openapi-'))
  try {
    const app = await createApp(
      readConfig({ E_STATE_DATA_DIR: path.join(root, 'data'), E_STATE_LOG_LEVEL: 'silent' }),
    )
    try {
      await app.server.ready()
      return operationsOf((await app.server.inject({ url: '/openapi.json' })).json())
    } finally {
      await app.close()
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}
