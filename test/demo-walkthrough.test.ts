/**
 * `e-state demo e-id` against a node listening on loopback: the walkthrough gets an e-ID at the
 * demo desk, logs in, opens "my data", and finds the clerk's issuance and the page's reads in the
 * tracker, each receipt checked. `e-state demo signing` against the same node: a document
 * signed remotely with a key that stays in the walkthrough, validated, and the spent prepared
 * signature refused a second time. (That production refuses the demo desk is in portal-hostile.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EID_WALKTHROUGH } from '../src/services/eid-desk/walkthrough.ts'
import { SIGNING_WALKTHROUGH } from '../src/services/signing/walkthrough.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { freePort } from './support/net.ts'

describe('the walkthroughs', () => {
  let t: TestApp
  let url: string
  beforeAll(async () => {
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    t = await startTestApp('sqlite', { population: 200, env: { E_STATE_PUBLIC_URL: url } })
    await t.app.server.listen({ host: '127.0.0.1', port })
  })
  afterAll(() => t?.close())

  it('issues, logs in, reads my data and checks every tracker receipt', async () => {
    const lines: string[] = []
    await EID_WALKTHROUGH.run({
      url,
      args: ['--resident', '39001010000'],
      say: (line) => lines.push(line),
    })
    const text = lines.join('\n')
    expect(text).toMatch(/The demo clerk issued the e-ID: authentication certificate [0-9a-f]+/)
    expect(text).toContain('The page shows the record of Ivan Ivanov (39001010000)')
    const tracked = lines.filter((line) =>
      / — receipt checked: entry \d+ of the ledger$/.test(line),
    )
    expect(
      tracked.some((line) =>
        /e-ID issuance: by clerk \d{11} at the service desk, for resident 39001010000/.test(line),
      ),
    ).toBe(true)
    expect(tracked.some((line) => line.includes('population: self-service'))).toBe(true)
    expect(lines.filter((line) => line.includes('no receipt yet'))).toEqual([])
  })

  it('says what is wrong with a resident who is not a demo resident, before any request', async () => {
    await expect(
      EID_WALKTHROUGH.run({ url, args: ['--resident', '38001085719'], say: () => undefined }),
    ).rejects.toThrow(/--resident must be one of the demo residents/)
  })

  it('signs a document remotely, validates the container and refuses a second finalize', async () => {
    const lines: string[] = []
    await SIGNING_WALKTHROUGH.run({
      url,
      args: ['--resident', '38001085718'],
      say: (line) => lines.push(line),
    })
    const text = lines.join('\n')
    expect(text).toMatch(/SHA-384 hash [A-Za-z0-9+/]{16}…/)
    expect(text).toMatch(/The signed container: \d+ bytes \(application\/vnd\.etsi\.asic-e\+zip\)/)
    expect(text).toMatch(/TOTAL-PASSED {2}JÕEORG,JAAK-KRISTJAN,38001085718 {2}XAdES_BASELINE_LT/)
    expect(text).toContain('[SIGN_PREPARED_UNKNOWN]')
  })
})
