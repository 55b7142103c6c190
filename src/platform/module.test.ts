import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { defineModule } from './module.ts'
import { PlatformError } from './errors.ts'

interface Needs {
  readonly greeting: string
}

interface Runtime {
  readonly count: () => number
  readonly sawMasterKey: boolean
}

const petitions = defineModule<
  Needs,
  { readonly limit: number; readonly master?: string },
  Runtime
>({
  name: 'petitions',
  summary: 'A module for the contract test',
  config: {
    variables: [{ name: 'E_STATE_PETITIONS_LIMIT', description: 'at most', default: '3' }],
    read: ({ env }) => ({
      limit: Number(env.E_STATE_PETITIONS_LIMIT ?? '3'),
      master: env.E_STATE_MASTER_KEY,
    }),
  },
  open: (platform, config) => ({
    count: () => config.limit + platform.greeting.length,
    sawMasterKey: config.master !== undefined,
  }),
  routes: (app, { runtime }) => {
    app.get('/petitions', async () => ({
      count: runtime().count(),
      sawMasterKey: runtime().sawMasterKey,
    }))
  },
  errors: {},
  pages: [
    {
      path: '/petitions',
      title: { et: 'Petitsioonid', en: 'Petitions', ru: 'Петиции' },
      audience: 'public',
      render: async ({ runtime, platform }) => ({
        template: 'petitions.njk',
        context: { count: runtime().count(), greeting: platform().greeting },
      }),
    },
  ],
})

const settings = {
  environment: 'development' as const,
  env: { E_STATE_PETITIONS_LIMIT: '5', E_STATE_MASTER_KEY: 'not for modules' },
  publicUrl: 'http://127.0.0.1:8080',
}

describe('a module instance', () => {
  it('hands its pages and routes what its open made, and refuses before and after it', async () => {
    let open = false
    const platform = (): Needs => {
      if (!open) throw new PlatformError('NOT_READY', 'starting')
      return { greeting: 'tere' }
    }
    const instance = petitions.instantiate(settings)
    const app = Fastify()
    await instance.attach(app, platform)
    const [page] = instance.pages()
    const call = { request: {} as never, reply: {} as never, language: 'en' as const, platform }

    await expect(page?.render?.(call)).rejects.toMatchObject({ code: 'NOT_READY' })

    open = true
    await instance.start(platform())
    // The slice saw its own variable (5) and not the master key; open added the greeting (4).
    expect(await page?.render?.(call)).toEqual({
      template: 'petitions.njk',
      context: { count: 9, greeting: 'tere' },
    })
    expect((await app.inject({ url: '/petitions' })).json()).toEqual({
      count: 9,
      sawMasterKey: false,
    })

    await instance.stop()
    await expect(page?.render?.(call)).rejects.toThrow(/has not been opened/)
    await app.close()
  })
})
