/**
 * `e-state sign` and `e-state validate`: digital signatures from the command line.
 *
 * sign: documents into a new container (`--out`), or one more signature on an existing one
 * (`--add-to`), with the holder's key from a software token (`--token`, PIN2 from `--pin-file`
 * or E_STATE_TOKEN_PIN2) or a PKCS#11 token (`--pkcs11`, `--token-label`, `--key`,
 * `--certificate`, PIN from `--pin-file` or E_STATE_TOKEN_PIN). Time-stamps and OCSP answers
 * come from this node's own services, or from a running e-state (`--service URL`).
 *
 * validate: the report (`--json` for SiVa's JSON); exit 0 when there is at least one signature
 * and all pass, 1 when any does not (or there is none), 2 when the container is refused. Trust
 * is `--trust PATH` alone when given, else this node's own CAs plus E_STATE_TRUST.
 */
import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { parseArgs } from 'node:util'
import { openSoftwareToken } from '../identity/index.ts'
import { openPlatformOnly, readConfig } from '../main/index.ts'
import {
  createSignatureValidator,
  createTrustList,
  exitCodeOf,
  httpSigningServices,
  issuerOf,
  loadTrustList,
  mergeTrustLists,
  signContainer,
  SignatureError,
  type ContainerDocument,
  type SignatureProfile,
  type SigningServices,
  type TrustList,
  type ValidationReport,
} from '../signature/index.ts'
import { systemClock } from '../shared/index.ts'
import { openPkcs11Signer, keySigner, type Signer } from '../trust/index.ts'
import { authorityCertificates } from './trust-store.ts'

const SIGN_USAGE =
  'usage: e-state sign FILE... --out X.asice | e-state sign --add-to X.asice\n' +
  '         (--token FILE | --pkcs11 LIB --token-label L --key LABEL --certificate FILE)\n' +
  '         [--pin-file F] [--profile B|T|LT] [--role TEXT] [--service URL]'

const MEDIA_TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.pdf': 'application/pdf',
  '.xml': 'application/xml',
  '.json': 'application/json',
  '.html': 'text/html',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.odt': 'application/vnd.oasis.opendocument.text',
}

export async function runSign(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      out: { type: 'string' },
      'add-to': { type: 'string' },
      token: { type: 'string' },
      'pin-file': { type: 'string' },
      pkcs11: { type: 'string' },
      'token-label': { type: 'string' },
      key: { type: 'string' },
      certificate: { type: 'string' },
      profile: { type: 'string' },
      role: { type: 'string' },
      service: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  const profile = (values.profile ?? 'LT') as SignatureProfile
  const adding = values['add-to'] !== undefined
  const bad =
    !['B', 'T', 'LT'].includes(profile) ||
    (adding ? positionals.length > 0 : positionals.length === 0 || values.out === undefined) ||
    (values.token === undefined) === (values.pkcs11 === undefined) ||
    (values.pkcs11 !== undefined &&
      (values['token-label'] === undefined ||
        values.key === undefined ||
        values.certificate === undefined))
  if (bad) {
    process.stderr.write(`${SIGN_USAGE}\n`)
    return 2
  }
  const target = (values['add-to'] ?? values.out) as string
  if (!adding && existsSync(target)) {
    process.stderr.write(`e-state sign: ${target} exists; use --add-to to sign it too\n`)
    return 1
  }
  const documents: ContainerDocument[] = positionals.map((path) => ({
    name: basename(path),
    mediaType: MEDIA_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    bytes: readFileSync(path),
  }))
  const key = await signingKey(values)
  try {
    const { services, issuers, close } = await signingServices(values.service)
    try {
      const container = await signContainer({
        ...(adding ? { container: readFileSync(target) } : { documents }),
        certificate: key.certificate,
        issuer: issuerOf(key.certificate, issuers),
        signer: key.signer,
        profile,
        services,
        now: systemClock.now(),
        details: values.role === undefined ? {} : { claimedRole: values.role },
      })
      // Written beside and renamed: a failure never leaves half a container in place.
      writeFileSync(`${target}.partial`, container)
      renameSync(`${target}.partial`, target)
      const subject = new X509Certificate(key.certificate).subject
      const name = subject.split('\n').find((line) => line.startsWith('CN=')) ?? subject
      process.stdout.write(`signed ${target} as ${name.slice(3)} (XAdES B-${profile})\n`)
      return 0
    } finally {
      await close()
    }
  } finally {
    key.close()
  }
}

interface SigningKey {
  readonly signer: Pick<Signer, 'sign'>
  readonly certificate: Buffer
  close(): void
}

async function signingKey(values: Record<string, string | undefined>): Promise<SigningKey> {
  const pinFrom = (variable: string) =>
    values['pin-file'] !== undefined
      ? readFileSync(values['pin-file'], 'utf8').trim()
      : (process.env[variable] ?? '')
  if (values.token !== undefined) {
    const path = values.token
    const token = openSoftwareToken(readFileSync(path))
    const unlocked = token.unlock('sign', pinFrom('E_STATE_TOKEN_PIN2'))
    // The retry counter changed either way: written back before anything else.
    writeFileSync(path, unlocked.token)
    if (unlocked.error !== undefined) throw unlocked.error
    return {
      signer: keySigner(unlocked.key as NonNullable<typeof unlocked.key>),
      certificate: token.certificates.sign,
      close: () => {},
    }
  }
  const signer = await openPkcs11Signer({
    library: values.pkcs11 as string,
    tokenLabel: values['token-label'] as string,
    keyLabel: values.key as string,
    pin: pinFrom('E_STATE_TOKEN_PIN'),
  })
  return {
    signer,
    certificate: readFileSync(values.certificate as string),
    close: () => signer.close(),
  }
}

async function signingServices(
  url: string | undefined,
): Promise<{ services: SigningServices; issuers: Buffer[]; close(): Promise<void> }> {
  if (url !== undefined) {
    const issuers = await Promise.all(
      ['citizen', 'eseal'].map(async (name) => {
        const response = await fetch(new URL(`/trust/ca/${name}.crt`, url), {
          signal: AbortSignal.timeout(15_000),
        })
        if (!response.ok) throw new SignatureError('SIGN_FAILED', `${url} has no ${name} CA`)
        return Buffer.from(await response.arrayBuffer())
      }),
    )
    return { services: httpSigningServices(url), issuers, close: async () => {} }
  }
  const platform = await openPlatformOnly(readConfig(), { drainIntervalMs: 0 })
  const issuers = ['citizen', 'eseal'].flatMap((name) => {
    const authority = platform.pki.authorities.get(name)
    return authority === undefined ? [] : [authority.certificate]
  })
  return { services: platform.signatures.services, issuers, close: () => platform.close() }
}

export async function runValidate(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      at: { type: 'string' },
      trust: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  const at = values.at === undefined ? undefined : new Date(values.at)
  if (positionals.length !== 1 || (at !== undefined && isNaN(at.getTime()))) {
    process.stderr.write('usage: e-state validate X.asice [--json] [--at TIME] [--trust PATH]\n')
    return 2
  }
  const trust = values.trust === undefined ? await nodeTrust() : loadTrustList(values.trust)
  const validator = createSignatureValidator({ trust, now: systemClock.now })
  const report = validator.validate(readFileSync(positionals[0]), at === undefined ? {} : { at })
  process.stdout.write(
    values.json === true
      ? `${JSON.stringify({ validationReport: { validationConclusion: report } }, null, 2)}\n`
      : summaryOf(positionals[0], report),
  )
  return exitCodeOf(report)
}

/** This node's root and issuing CAs and TSA (certificates only), plus E_STATE_TRUST. */
async function nodeTrust(): Promise<TrustList> {
  const config = readConfig()
  const certificates = await authorityCertificates(config, ['root', 'citizen', 'eseal', 'tsa'])
  const present = (names: string[]) =>
    names.flatMap((name) => {
      const der = certificates.get(name)
      return der === undefined ? [] : [der]
    })
  const own =
    certificates.size === 0
      ? undefined
      : createTrustList({ cas: present(['root', 'citizen', 'eseal']), tsas: present(['tsa']) })
  const configured =
    config.signatureTrust === undefined ? undefined : loadTrustList(config.signatureTrust)
  if (own !== undefined && configured !== undefined) return mergeTrustLists(own, configured)
  const trust = own ?? configured
  if (trust === undefined)
    throw new SignatureError(
      'TRUST_CONFIG',
      'no state PKI here and no E_STATE_TRUST: pass --trust PATH',
    )
  return trust
}

/** Text from a container, safe for a terminal: control and bidi characters shown as escapes. */
function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (character) => `\\u{${character.codePointAt(0)?.toString(16)}}`,
  )
}

function summaryOf(file: string, report: ValidationReport): string {
  if (report.refused !== undefined)
    return `${printable(file)}: REFUSED — ${printable(report.refused.content)} [${report.refused.code}]\n`
  const lines = [
    `${printable(file)}: ${report.validSignaturesCount} of ${report.signaturesCount} signatures valid; documents: ${printable(report.documents.map((document) => document.name).join(', '))}`,
  ]
  for (const signature of report.signatures) {
    lines.push(
      `  ${printable(signature.id)}  ${signature.indication}${signature.subIndication === undefined ? '' : ` (${signature.subIndication})`}  ${printable(signature.signedBy)}  ${signature.signatureFormat}  ${signature.info.bestSignatureTime}`,
    )
    for (const error of signature.errors)
      lines.push(`      error: ${printable(error.content)} [${error.code}]`)
    for (const warning of signature.warnings)
      lines.push(`      warning: ${printable(warning.content)}`)
  }
  for (const warning of report.validationWarnings)
    lines.push(`  warning: ${printable(warning.content)}`)
  return `${lines.join('\n')}\n`
}
