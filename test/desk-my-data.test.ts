/**
 * The clerk showing a resident present in person their data (`/desk/my-data`): Mari, a clerk,
 * identifies Jaak by his document and reads what her agency may read through the exchange (his
 * population record; not the vehicle register, which the page says); Jaak's tracker then shows
 * the read and the act as Mari's, done for him. A resident who is not a clerk, a clerk whose e-ID login is old, a form without the
 * document checked or with a bad code, and a forged post are each refused, and nobody's data
 * is shown to them.
 */
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './support/app.ts'

const ORIGIN = 'https://www.state.example'
const SESSION = '__Host-estate_session'
const CSRF = '__Host-estate_csrf'
const JAAK = { code: '38001085718', given: 'JAAK-KRISTJAN', surname: 'JÕEORG' }
const MARI = { code: '48707032744', given: 'MARI', surname: 'MAASIKAS' }
const SHOWN = `showing a resident their data: by clerk ${MARI.code} at the service desk, for resident ${JAAK.code} present in person`

describe('a clerk shows a resident their data at the desk', () => {
  let t: TestApp

  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: { E_STATE_PUBLIC_URL: ORIGIN },
      options: { drainIntervalMs: 0 },
    })
  }, 180_000)
  afterAll(async () => {
    await t?.close()
  })

  const logIn = async (person: typeof JAAK, method = 'web-eid'): Promise<string> => {
    const { id } = await t.app.platform().sessions.start({
      personalCode: person.code,
      givenName: person.given,
      surname: person.surname,
      method,
    })
    return `${SESSION}=${id}`
  }

  /** Opens the form as a browser does: its CSRF cookie and the form's token. */
  const openForm = async (cookie: string): Promise<{ cookie: string; token: string }> => {
    const reply = await t.inject({ url: '/desk/my-data?lang=en', headers: { cookie } })
    expect(reply.statusCode, reply.body.slice(0, 300)).toBe(200)
    const secret = [reply.headers['set-cookie']]
      .flat()
      .find((line) => line?.startsWith(`${CSRF}=`))
      ?.split(';')[0]
    const token = /name="_csrf" value="([^"]+)"/.exec(reply.body)?.[1]
    if (secret === undefined || token === undefined) throw new Error('no CSRF token')
    return { cookie: `${cookie}; ${secret}`, token }
  }

  const submit = (
    browser: { cookie: string; token: string },
    fields: Record<string, string>,
    origin = ORIGIN,
  ): Promise<LightMyRequestResponse> =>
    t.inject({
      method: 'POST',
      url: '/desk/my-data?lang=en',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin,
        cookie: browser.cookie,
      },
      payload: new URLSearchParams({ _csrf: browser.token, ...fields }).toString(),
    })

  const mainOf = (body: string): string =>
    body.slice(body.indexOf('<main'), body.indexOf('</main>'))

  const trackerOf = async (personalCode: string) => {
    const reply = await t.inject({
      url: '/tracker/usage?limit=100',
      headers: { ...t.headers('RIA'), 'x-road-userid': `EE${personalCode}` },
    })
    expect(reply.statusCode, reply.body).toBe(200)
    return (reply.json() as { records: { official: string; registry: string; purpose: string }[] })
      .records
  }

  it("shows the resident's data, every read and the act in their tracker as the clerk's", async () => {
    const before = (await trackerOf(JAAK.code)).filter((r) => r.purpose === SHOWN).length
    const clerk = await openForm(await logIn(MARI))
    const reply = await submit(clerk, { personalCode: JAAK.code, documentChecked: 'yes' })
    expect(reply.statusCode, mainOf(reply.body)).toBe(200)
    const main = mainOf(reply.body)
    expect(main).toContain(`Data of resident ${JAAK.code}`)
    expect(main).toContain('Jaak-Kristjan Jõeorg')
    // Mari's agency (the population register's keeper) may not read the vehicle register: the
    // page says where to ask, and no read of it was made some other way.
    expect(main).toContain('Your agency may not read the vehicle register')
    // Company roles are the person's own to see: the desk says so instead of reading them.
    expect(main).toContain('shows company roles to the person alone')

    const shown = (await trackerOf(JAAK.code)).filter((record) => record.purpose === SHOWN)
    expect(shown.length - before).toBe(2)
    expect(shown.map((record) => record.registry).sort()).toEqual(['population', 'service-desk'])
    expect(shown.every((record) => record.official === 'Mari Maasikas')).toBe(true)
  })

  it('sends the form back with the error next to the field, reading nothing', async () => {
    const clerk = await openForm(await logIn(MARI))
    const before = (await trackerOf(JAAK.code)).length
    const unchecked = await submit(clerk, { personalCode: JAAK.code })
    expect(unchecked.statusCode).toBe(400)
    expect(unchecked.body).toContain('data-code="FIELD_REQUIRED"')
    expect(unchecked.body).toContain('Check the resident&#39;s document before showing their data')
    const badCode = await submit(clerk, { personalCode: '38001085719', documentChecked: 'yes' })
    expect(badCode.statusCode).toBe(400)
    expect(badCode.body).toContain('data-code="PERSONAL_CODE_INVALID"')
    expect(mainOf(badCode.body)).not.toContain('Jõeorg')
    expect((await trackerOf(JAAK.code)).length).toBe(before)
  })

  it("refuses a resident who is no clerk, a clerk's old login and a forged post", async () => {
    const before = (await trackerOf(JAAK.code)).length
    const resident = await t.inject({
      url: '/desk/my-data?lang=en',
      headers: { cookie: await logIn({ code: '39001010000', given: 'IVAN', surname: 'IVANOV' }) },
    })
    expect(resident.statusCode).toBe(403)
    expect(mainOf(resident.body)).not.toContain('Jõeorg')

    // A login by passkey is not a fresh e-ID login: the desk asks for one.
    const passkey = await openForm(await logIn(MARI, 'passkey'))
    const stale = await submit(passkey, { personalCode: JAAK.code, documentChecked: 'yes' })
    expect(stale.statusCode).toBeGreaterThanOrEqual(400)
    expect(stale.statusCode).toBeLessThan(500)
    expect(mainOf(stale.body)).not.toContain('Jõeorg')

    const clerk = await openForm(await logIn(MARI))
    const forged = await submit(
      clerk,
      { personalCode: JAAK.code, documentChecked: 'yes' },
      'https://evil.example',
    )
    expect(forged.statusCode).toBe(403)
    expect(mainOf(forged.body)).not.toContain('Jõeorg')
    expect((await trackerOf(JAAK.code)).length).toBe(before)
  })
})
