/**
 * The portal in the browser: an e-ID whose key is a non-extractable WebCrypto key kept in
 * IndexedDB (the stand-in for the ID card), login with it by the Web eID protocol, and the data
 * tracker with every receipt checked here, in the browser, against the log's and the witnesses'
 * keys — the same verification code as `e-state ledger verify-receipt`.
 */
import { startAuthentication, startRegistration } from '@simplewebauthn/browser'
import {
  parseCosignerVerifierKey,
  parseVerifierKey,
  verifyReceipt,
  type Receipt,
} from '../../ledger/browser.ts'

import {
  base64,
  createEid,
  createKey,
  installCertificate,
  installEid,
  loadEid as load,
} from './eid.ts'
import { wirePages } from './pages.ts'

async function post(path: string, body?: unknown): Promise<Response> {
  return fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

/** The Web eID protocol: sign SHA-384(origin) ‖ SHA-384(nonce) with the card's key. */
async function login(): Promise<{ personalCode: string; givenName: string; surname: string }> {
  const eid = await load()
  if (eid?.certificate === undefined) throw new Error('this browser holds no e-ID certificate')
  const { nonce } = (await (await post('/auth/challenge')).json()) as { nonce: string }
  const encoder = new TextEncoder()
  const hashes = await Promise.all(
    [location.origin, nonce].map((text) => crypto.subtle.digest('SHA-384', encoder.encode(text))),
  )
  const signed = new Uint8Array([...new Uint8Array(hashes[0]), ...new Uint8Array(hashes[1])])
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-384' },
    eid.keys.privateKey,
    signed,
  )
  const reply = await post('/auth/web-eid', {
    authToken: {
      format: 'web-eid:1.0',
      algorithm: 'ES384',
      appVersion: 'e-state browser e-ID 1.0',
      unverifiedCertificate: eid.certificate,
      signature: base64(signature),
    },
  })
  const body = await reply.json()
  if (!reply.ok) throw new Error(`${body.code}: ${body.detail}`)
  return body
}

/** After an e-ID login: register a passkey (the platform's authenticator) for later logins. */
async function addPasskey(): Promise<string> {
  const options = await post('/auth/passkeys/register/options')
  if (!options.ok) throw new Error(((await options.json()) as { detail: string }).detail)
  const response = await startRegistration({ optionsJSON: await options.json() })
  const reply = await post('/auth/passkeys/register', { response })
  const body = await reply.json()
  if (!reply.ok) throw new Error(`${body.code}: ${body.detail}`)
  return body.id
}

async function loginWithPasskey(): Promise<{
  personalCode: string
  givenName: string
  surname: string
}> {
  const options = await post('/auth/passkeys/login/options')
  const response = await startAuthentication({ optionsJSON: await options.json() })
  const reply = await post('/auth/passkeys/login', { response })
  const body = await reply.json()
  if (!reply.ok) throw new Error(`${body.code}: ${body.detail}`)
  return body
}

async function trustedKeys() {
  const text = async (path: string) => (await fetch(path)).text()
  return {
    log: parseVerifierKey(await text('/ledger/verifier-key')),
    witnesses: (await text('/ledger/witness-keys'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => parseCosignerVerifierKey(line)),
  }
}

function checkReceipt(receipt: unknown, keys: Awaited<ReturnType<typeof trustedKeys>>): boolean {
  try {
    return verifyReceipt(receipt, keys).opened
  } catch {
    return false
  }
}

/** The person's data tracker, each receipt verified in the browser. */
async function verifyTracker(): Promise<{ records: number; verified: number; failed: number }> {
  const keys = await trustedKeys()
  const reply = await fetch('/tracker/usage?limit=100', { credentials: 'same-origin' })
  if (!reply.ok) throw new Error(`the tracker answered ${reply.status}`)
  const { records } = (await reply.json()) as {
    records: {
      at: string
      official: string
      agency: string
      data: string
      purpose: string
      ledger: { receipt: Receipt | null }
    }[]
  }
  const table = document.querySelector('#tracker tbody')
  let verified = 0
  let failed = 0
  for (const record of records) {
    const ok = record.ledger.receipt !== null && checkReceipt(record.ledger.receipt, keys)
    if (record.ledger.receipt !== null) {
      if (ok) verified++
      else failed++
    }
    const row = document.createElement('tr')
    for (const value of [record.at, record.official, record.agency, record.data, record.purpose]) {
      const cell = document.createElement('td')
      cell.textContent = value
      row.append(cell)
    }
    const proof = document.createElement('td')
    proof.textContent = record.ledger.receipt === null ? 'pending' : ok ? 'verified' : 'FAILED'
    proof.className = `proof ${proof.textContent}`
    row.append(proof)
    table?.append(row)
  }
  return { records: records.length, verified, failed }
}

async function verifyOne(receipt: unknown): Promise<boolean> {
  return checkReceipt(receipt, await trustedKeys())
}

const estate = {
  createKey,
  createEid,
  installCertificate,
  installEid,
  login,
  addPasskey,
  loginWithPasskey,
  verifyTracker,
  verifyReceipt: verifyOne,
}
Object.assign(globalThis, { estate })

export { verifyOne as verifyReceiptWithLog, trustedKeys, checkReceipt }

document.addEventListener('DOMContentLoaded', () => {
  wirePages({ trustedKeys, checkReceipt, post })
  const status = document.querySelector('#status')
  const loggedIn =
    (how: () => Promise<{ personalCode: string; givenName: string; surname: string }>) => () => {
      how()
        .then(async (person) => {
          if (status)
            status.textContent = `Logged in as ${person.givenName} ${person.surname} (${person.personalCode})`
          const result = await verifyTracker()
          const summary = document.querySelector('#summary')
          if (summary)
            summary.textContent = `${result.records} reads of your data; ${result.verified} proved in the ledger${result.failed > 0 ? `, ${result.failed} FAILED` : ''}`
        })
        .catch((error: Error) => {
          if (status) status.textContent = `Login failed: ${error.message}`
        })
    }
  document.querySelector('#login')?.addEventListener('click', loggedIn(login))
  document.querySelector('#passkey-login')?.addEventListener('click', loggedIn(loginWithPasskey))
  document.querySelector('#passkey-add')?.addEventListener('click', () => {
    addPasskey()
      .then(() => {
        if (status) status.textContent = 'Passkey added: next time you can log in with it.'
      })
      .catch((error: Error) => {
        if (status) status.textContent = `Passkey not added: ${error.message}`
      })
  })
})
