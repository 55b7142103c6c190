// Containers e-state signs, checked by tools that share none of its code: the XML signature by
// xmlsec1 (libxmlsec1 over OpenSSL), the time-stamp token by `openssl ts -verify`, the embedded
// OCSP answer by `openssl ocsp`. The data a time-stamp covers is rebuilt here from the XML
// text by hand (exclusive C14N of a lone SignatureValue), not with e-state's canonicalizer.
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { unzipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signContainer } from '../src/signature/index.ts'
import type { HierarchyMember } from '../src/trust/index.ts'
import { signaturePki, type SignaturePki, type TestSigner } from './support/signature-pki.ts'

const now = () => new Date()
let pki: SignaturePki
let signer: TestSigner
let work: string
let files: Record<string, Uint8Array>
let xml: string

/** openssl checking the time-stamp token over stamped.bin, the TSA chained to our root. */
const TS_VERIFY = [
  'ts',
  '-verify',
  '-data',
  'stamped.bin',
  '-in',
  'token.der',
  '-token_in',
  '-CAfile',
  'chain.pem',
  '-untrusted',
  'tsa.pem',
]
/** xmlsec1 verifying signature.xml beside the documents, the chain to our root. */
const XMLSEC_VERIFY = [
  '--verify',
  '--enabled-reference-uris',
  'empty,same-doc,local,remote',
  '--id-attr:Id',
  'http://uri.etsi.org/01903/v1.3.2#:SignedProperties',
  '--trusted-pem',
  'root.pem',
  '--untrusted-pem',
  'citizen.pem',
  'signature.xml',
]
const pem = (der: Buffer) => new X509Certificate(der).toString()
const member = (name: string) => (pki.members.get(name) as HierarchyMember).certificate
const write = (name: string, data: string | Uint8Array) => {
  const path = join(work, name)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, data)
  return path
}
const run = (command: string, args: string[]) =>
  execFileSync(command, args, { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
const base64Of = (element: string) =>
  Buffer.from(new RegExp(`<xades:${element}[^>]*>([^<]+)<`).exec(xml)?.[1] as string, 'base64')

beforeAll(async () => {
  pki = await signaturePki(now)
  signer = await pki.issueSigning('47101010033', { given: 'MARI-LIIS', surname: 'MÄNNIK' })
  const container = await signContainer({
    documents: [
      { name: 'contract.txt', mediaType: 'text/plain', bytes: Buffer.from('We agree.\n') },
      { name: 'annex/plan 2.txt', mediaType: 'text/plain', bytes: Buffer.from('Plan ü') },
    ],
    certificate: signer.certificate,
    issuer: pki.citizenCa,
    signer: signer.signer,
    profile: 'LT',
    services: pki.services,
    now: now(),
  })
  work = mkdtempSync(join(tmpdir(), 'estate-interop-'))
  files = unzipSync(container)
  for (const [name, bytes] of Object.entries(files)) write(name, bytes)
  xml = Buffer.from(files['META-INF/signatures0.xml']).toString('utf8')
  write('root.pem', pem(member('root')))
  write('citizen.pem', pem(member('citizen')))
  write('eseal.pem', pem(member('eseal')))
  write('tsa.pem', pem(member('tsa')))
  write('chain.pem', pem(member('root')) + pem(member('eseal')))
  write('signer.pem', pem(signer.certificate))
})

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('independent tools accept what e-state signs', () => {
  it('xmlsec1 verifies the XAdES signature, its references and the certificate chain', () => {
    // Beside the documents, so the references' relative URIs resolve to them.
    write('signature.xml', xml)
    const output = run('xmlsec1', XMLSEC_VERIFY)
    expect(output).toBe('')
    // And it is not a tool that accepts anything: one changed byte in a document fails.
    write('contract.txt', 'We do not agree.\n')
    expect(() => run('xmlsec1', XMLSEC_VERIFY)).toThrow()
    write('contract.txt', files['contract.txt'])
  })

  it('openssl ts verifies the signature time-stamp over the canonical SignatureValue', () => {
    const value = /<ds:SignatureValue Id="([^"]+)">([^<]+)</.exec(xml) as RegExpExecArray
    const canonical = `<ds:SignatureValue xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="${value[1]}">${value[2]}</ds:SignatureValue>`
    write('stamped.bin', canonical)
    write('token.der', base64Of('EncapsulatedTimeStamp'))
    const output = run('openssl', TS_VERIFY)
    expect(output).toContain('Verification: OK')
    write(
      'stamped.bin',
      canonical.replace(
        value[2],
        value[2].replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
      ),
    )
    expect(() => run('openssl', TS_VERIFY)).toThrow()
  })

  it('openssl ocsp verifies the embedded OCSP answer: good, for this certificate', () => {
    write('ocsp.der', base64Of('EncapsulatedOCSPValue'))
    write('others.pem', pem(member('citizen')) + pem(member('ocsp-citizen')))
    const output = run('openssl', [
      'ocsp',
      '-respin',
      'ocsp.der',
      '-issuer',
      'citizen.pem',
      '-cert',
      'signer.pem',
      '-CAfile',
      'root.pem',
      '-verify_other',
      'others.pem',
      '-no_nonce',
    ])
    expect(output).toContain('signer.pem: good')
    // (openssl prints "Response verify OK" on stderr; a bad signature would throw here.)
  })
})
