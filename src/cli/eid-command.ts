/**
 * e-ID operations for the operators of the state PKI: a holder's certificates and their status,
 * suspension, resumption and revocation of one certificate, and the mass suspension of a batch
 * or a key type (the 2017 ROCA lesson) — each logged in the ledger, as over HTTP.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  createSoftwareToken,
  openSoftwareToken,
  possessionMessage,
  verifyKeyPossession,
} from '../identity/index.ts'
import { commandLineVisit, createApp, issueAtDesk, readConfig } from '../main/index.ts'
import { openStatePki } from './trust-store.ts'
import { openPkcs11Signer, type KeyAlgorithm } from '../trust/index.ts'

const USAGE = `usage: e-state eid issue PERSONAL_CODE --clerk CODE --pkcs11 LIBRARY --token LABEL --auth-key LABEL --sign-key LABEL --out-dir DIR
       e-state eid token create PERSONAL_CODE --clerk CODE --out FILE   (PINs from E_STATE_TOKEN_PIN1, _PIN2, _PUK)
       e-state eid token status FILE
       e-state eid status PERSONAL_CODE
       e-state eid suspend|resume|revoke SERIAL
       e-state eid suspend-batch (--batch NAME | --key-type ec-p256|ec-p384|ed25519) --why TEXT`

export async function runEid(args: string[]): Promise<number> {
  const [action, ...rest] = args
  if (action === 'token') return runToken(rest)
  if (action === 'issue') return runIssueOnToken(rest)
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      batch: { type: 'string' },
      'key-type': { type: 'string' },
      why: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  const single = ['status', 'suspend', 'resume', 'revoke'].includes(action ?? '')
  if (
    (single && positionals.length !== 1) ||
    (action === 'suspend-batch' && (positionals.length > 0 || values.why === undefined)) ||
    (!single && action !== 'suspend-batch')
  ) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const keyType = values['key-type']
  if (keyType !== undefined && !['ec-p256', 'ec-p384', 'ed25519'].includes(keyType)) {
    process.stderr.write(`--key-type is ec-p256, ec-p384 or ed25519\n${USAGE}\n`)
    return 2
  }
  const config = readConfig()
  const { store, pki } = await openStatePki(config)
  try {
    const [target] = positionals
    if (action === 'status') {
      const held = await pki.certificatesOf(target)
      if (held.length === 0) process.stdout.write(`no certificates for ${target}\n`)
      for (const certificate of held)
        process.stdout.write(
          `${certificate.serial}  ${certificate.kind.padEnd(5)} ${certificate.status.padEnd(9)} until ${certificate.notAfter.slice(0, 10)}\n`,
        )
      return 0
    }
    if (action === 'suspend-batch') {
      const count = await pki.suspendMany(
        { batch: values.batch, keyAlgorithm: keyType as KeyAlgorithm | undefined },
        values.why as string,
      )
      process.stdout.write(`${count} certificates suspended; a letter is queued to each holder\n`)
      return 0
    }
    const next = action === 'suspend' ? 'suspended' : action === 'resume' ? 'good' : 'revoked'
    await pki.setStatus(target, next)
    process.stdout.write(`${target}: ${next}\n`)
    return 0
  } finally {
    await store.close()
  }
}

/**
 * A software e-ID token, made on the holder's side: the two key pairs are generated here, the
 * service desk issues their certificates (the clerk named, the names from the register), and the
 * keys go into a PKCS#12 file under the holder's PINs — they never exist anywhere else.
 */
async function runToken(args: string[]): Promise<number> {
  const [action, ...rest] = args
  const { values, positionals } = parseArgs({
    args: rest,
    options: { clerk: { type: 'string' }, out: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  })
  if (action === 'status' && positionals.length === 1) {
    const token = openSoftwareToken(readFileSync(positionals[0]))
    for (const which of ['auth', 'sign'] as const) {
      const certificate = new X509Certificate(token.certificates[which])
      process.stdout.write(
        `${which}  ${certificate.serialNumber.toLowerCase()}  ${certificate.subject.split('\n').find((line) => line.startsWith('CN=')) ?? ''}  until ${certificate.validToDate.toISOString().slice(0, 10)}\n`,
      )
    }
    process.stdout.write(
      `tries left: PIN1 ${token.triesLeft.auth}, PIN2 ${token.triesLeft.sign}, PUK ${token.triesLeft.puk}\n`,
    )
    return 0
  }
  if (
    action !== 'create' ||
    positionals.length !== 1 ||
    values.clerk === undefined ||
    values.out === undefined
  ) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const [personalCode] = positionals
  const pins = {
    pin1: process.env.E_STATE_TOKEN_PIN1 ?? '',
    pin2: process.env.E_STATE_TOKEN_PIN2 ?? '',
    puk: process.env.E_STATE_TOKEN_PUK ?? '',
  }
  if (existsSync(values.out)) {
    process.stderr.write(`e-state eid token: ${values.out} exists; not overwriting a token\n`)
    return 1
  }
  const auth = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const sign = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  // Fail on bad PINs before anything is issued.
  createSoftwareToken({
    auth: { key: auth.privateKey, certificate: Buffer.alloc(0) },
    sign: { key: sign.privateKey, certificate: Buffer.alloc(0) },
    ...pins,
  })
  const config = readConfig()
  const app = await createApp(config, { drainIntervalMs: 0 })
  try {
    await app.start()
    const platform = app.platform()
    const visit = await commandLineVisit(platform, values.clerk, personalCode)
    const [authCertificate, signCertificate] = await issueAtDesk(platform, visit, {
      authKey: auth.publicKey,
      signKey: sign.publicKey,
    })
    await platform.ledger.drainOnce()
    const token = createSoftwareToken({
      auth: { key: auth.privateKey, certificate: authCertificate.der },
      sign: { key: sign.privateKey, certificate: signCertificate.der },
      ...pins,
    })
    writeFileSync(values.out, token, { mode: 0o600, flag: 'wx' })
    process.stdout.write(
      `e-ID token for ${personalCode} written to ${values.out} (auth ${authCertificate.serial}, sign ${signCertificate.serial}); issued by ${visit.mandate.as} of ${visit.mandate.agency}\n`,
    )
    return 0
  } finally {
    await app.close()
  }
}

/**
 * An e-ID whose keys live on a PKCS#11 token (an ID card through OpenSC, or SoftHSM): the token
 * signs the proofs of possession, the service desk issues the certificates, and they are
 * written out (DER) for the card's personalisation; the keys never leave the token.
 */
export async function runIssueOnToken(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      clerk: { type: 'string' },
      pkcs11: { type: 'string' },
      token: { type: 'string' },
      'auth-key': { type: 'string' },
      'sign-key': { type: 'string' },
      'out-dir': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  const [personalCode] = positionals
  const needed = [
    values.clerk,
    values.pkcs11,
    values.token,
    values['auth-key'],
    values['sign-key'],
    values['out-dir'],
  ]
  if (positionals.length !== 1 || needed.some((value) => value === undefined)) {
    process.stderr.write(
      'usage: e-state eid issue PERSONAL_CODE --clerk CODE --pkcs11 LIBRARY --token LABEL --auth-key LABEL --sign-key LABEL --out-dir DIR   (PIN from E_STATE_TOKEN_PIN)\n',
    )
    return 2
  }
  const open = (keyLabel: string) =>
    openPkcs11Signer({
      library: values.pkcs11 as string,
      tokenLabel: values.token as string,
      pin: process.env.E_STATE_TOKEN_PIN ?? '',
      keyLabel,
    })
  // One key at a time: a PKCS#11 module is initialised once per process.
  const proofOf = async (keyLabel: string) => {
    const signer = await open(keyLabel)
    try {
      const spki = signer.publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
      const proof = await signer.sign(possessionMessage(personalCode, spki))
      return { publicKey: verifyKeyPossession(personalCode, spki, proof.toString('base64')) }
    } finally {
      signer.close()
    }
  }
  const auth = await proofOf(values['auth-key'] as string)
  const sign = await proofOf(values['sign-key'] as string)
  const config = readConfig()
  const app = await createApp(config, { drainIntervalMs: 0 })
  try {
    await app.start()
    const platform = app.platform()
    const visit = await commandLineVisit(platform, values.clerk as string, personalCode)
    const issued = await issueAtDesk(platform, visit, {
      authKey: auth.publicKey,
      signKey: sign.publicKey,
    })
    await platform.ledger.drainOnce()
    const directory = values['out-dir'] as string
    mkdirSync(directory, { recursive: true })
    writeFileSync(join(directory, 'auth.crt'), issued[0].der, { flag: 'wx' })
    writeFileSync(join(directory, 'sign.crt'), issued[1].der, { flag: 'wx' })
    process.stdout.write(
      `e-ID for ${personalCode} on token ${values.token}: auth ${issued[0].serial}, sign ${issued[1].serial} in ${directory}; issued by ${visit.mandate.as} of ${visit.mandate.agency}\n`,
    )
    return 0
  } finally {
    await app.close()
  }
}
