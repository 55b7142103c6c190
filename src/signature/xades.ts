/**
 * Reading XAdES signatures (ETSI EN 319 132-1, XAdES 1.3.2 / 1.4.1) out of an ASiC-E
 * `signatures*.xml` (EN 319 162-1 §A.5: an `asic:XAdESSignatures` root holding `ds:Signature`s).
 *
 * Strict by design, because XML signatures are attacked through their structure ("signature
 * wrapping"): each part that must occur once occurs once, every `Id` in a document is unique,
 * a same-document reference may only point at this signature's own SignedProperties, document
 * references carry no transforms, and only canonicalization transforms are allowed on
 * SignedProperties. Anything else is a `XADES_MALFORMED` or `XADES_UNSUPPORTED` with its reason.
 */
import type { Document, Element } from '@xmldom/xmldom'
import { NS, SIGNED_PROPERTIES_TYPE } from './algorithms.ts'
import { isC14nAlgorithm } from './c14n.ts'
import { SignatureError } from './errors.ts'
import { parseXml } from './xml.ts'

export interface ParsedReference {
  readonly id: string | null
  readonly uri: string
  readonly type: string | null
  readonly transforms: readonly string[]
  readonly digestMethod: string
  readonly digestValue: Buffer
}

export interface CertificateReference {
  readonly digestMethod: string
  readonly digestValue: Buffer
  readonly version: 1 | 2
}

export interface ParsedSignature {
  readonly id: string
  readonly file: string
  readonly element: Element
  readonly signedInfo: Element
  readonly canonicalization: string
  readonly signatureMethod: string
  /** Document references (the URI decoded to a container path) and the SignedProperties one. */
  readonly documentReferences: readonly ParsedReference[]
  readonly propertiesReference: ParsedReference
  readonly signatureValue: Buffer
  readonly signatureValueElement: Element
  readonly keyInfoCertificates: readonly Buffer[]
  readonly signedProperties: Element
  readonly signingTime: Date | null
  readonly signingCertificates: readonly CertificateReference[]
  readonly policy: string | null
  readonly claimedRoles: readonly string[]
  readonly productionPlace: Readonly<Record<string, string>> | null
  readonly timestamps: readonly { readonly canonicalization: string; readonly token: Buffer }[]
  readonly certificateValues: readonly Buffer[]
  readonly ocspValues: readonly Buffer[]
  readonly archiveTimestamps: number
}

const MAX_SIGNATURES = 50
const MAX_CERTIFICATES = 20
const MAX_TOKENS = 5

const malformed = (why: string): never => {
  throw new SignatureError('XADES_MALFORMED', why)
}

/** Every signature in one `signatures*.xml`; throws for the whole file if its XML is unusable. */
export function parseSignatureFile(name: string, xml: string): ParsedSignature[] {
  const document = parseXml(xml)
  const root = document.documentElement as Element
  if (root.namespaceURI !== NS.asic || root.localName !== 'XAdESSignatures')
    malformed(`${name}: the root must be asic:XAdESSignatures`)
  assertUniqueIds(document, name)
  const signatures = childElements(root, NS.ds, 'Signature')
  if (signatures.length === 0) malformed(`${name} holds no signature`)
  if (signatures.length > MAX_SIGNATURES)
    malformed(`${name} holds more than ${MAX_SIGNATURES} signatures`)
  if (childElements(root).length !== signatures.length)
    malformed(`${name}: XAdESSignatures holds something other than signatures`)
  return signatures.map((element) => parseSignature(name, element))
}

function parseSignature(file: string, element: Element): ParsedSignature {
  const id = element.getAttribute('Id') ?? malformed(`${file}: a signature has no Id`)
  const where = `${file}#${id}`
  const signedInfo = one(element, NS.ds, 'SignedInfo', where)
  const canonicalization = algorithmOf(one(signedInfo, NS.ds, 'CanonicalizationMethod', where))
  if (!isC14nAlgorithm(canonicalization))
    unsupported(`${where}: SignedInfo canonicalization ${canonicalization}`)
  const signatureMethod = algorithmOf(one(signedInfo, NS.ds, 'SignatureMethod', where))
  const references = childElements(signedInfo, NS.ds, 'Reference').map((reference) =>
    parseReference(reference, where),
  )
  const signatureValueElement = one(element, NS.ds, 'SignatureValue', where)
  const keyInfo = optional(element, NS.ds, 'KeyInfo', where)
  const keyInfoCertificates =
    keyInfo === null
      ? []
      : childElements(keyInfo, NS.ds, 'X509Data').flatMap((data) =>
          childElements(data, NS.ds, 'X509Certificate').map((cert) => base64(cert, where)),
        )
  const object = one(element, NS.ds, 'Object', where)
  const qualifying = one(object, NS.xades, 'QualifyingProperties', where)
  if (qualifying.getAttribute('Target') !== `#${id}`)
    malformed(`${where}: QualifyingProperties must target #${id}`)
  const signedProperties = one(qualifying, NS.xades, 'SignedProperties', where)

  const propertiesReferences = references.filter((reference) => reference.uri.startsWith('#'))
  if (propertiesReferences.length !== 1)
    malformed(`${where}: exactly one reference must point inside the signature`)
  const propertiesReference = propertiesReferences[0]
  if (propertiesReference.uri !== `#${signedProperties.getAttribute('Id') ?? ''}`)
    malformed(`${where}: the internal reference must be this signature's SignedProperties`)
  if (propertiesReference.type !== null && propertiesReference.type !== SIGNED_PROPERTIES_TYPE)
    malformed(`${where}: the SignedProperties reference has the wrong Type`)
  if (propertiesReference.transforms.some((transform) => !isC14nAlgorithm(transform)))
    unsupported(`${where}: only canonicalization transforms are allowed on SignedProperties`)

  const documentReferences = references
    .filter((reference) => !reference.uri.startsWith('#'))
    .map((reference) => {
      if (reference.transforms.length > 0)
        unsupported(`${where}: a document reference carries transforms`)
      let uri: string
      try {
        uri = decodeURIComponent(reference.uri.replace(/^\.\//, ''))
      } catch {
        return malformed(`${where}: reference URI ${reference.uri} is not valid`)
      }
      return { ...reference, uri }
    })
  if (documentReferences.length === 0) malformed(`${where} signs no document`)

  const signatureProperties = one(signedProperties, NS.xades, 'SignedSignatureProperties', where)
  const unsigned = optional(qualifying, NS.xades, 'UnsignedProperties', where)
  const unsignedSignature =
    unsigned === null ? null : optional(unsigned, NS.xades, 'UnsignedSignatureProperties', where)
  const unsignedParts = unsignedPropertiesOf(unsignedSignature, where)
  // Bounded work per signature: each certificate may cost a chain search, each token a check.
  if (keyInfoCertificates.length + unsignedParts.certificateValues.length > MAX_CERTIFICATES)
    malformed(`${where} carries more than ${MAX_CERTIFICATES} certificates`)
  if (unsignedParts.ocspValues.length > MAX_TOKENS || unsignedParts.timestamps.length > MAX_TOKENS)
    malformed(`${where} carries more than ${MAX_TOKENS} OCSP answers or time-stamps`)
  return {
    id,
    file,
    element,
    signedInfo,
    canonicalization,
    signatureMethod,
    documentReferences,
    propertiesReference,
    signatureValue: base64(signatureValueElement, where),
    signatureValueElement,
    keyInfoCertificates,
    signedProperties,
    signingTime: signingTimeOf(signatureProperties, where),
    signingCertificates: signingCertificatesOf(signatureProperties, where),
    policy: policyOf(signatureProperties, where),
    claimedRoles: claimedRolesOf(signatureProperties),
    productionPlace: productionPlaceOf(signatureProperties),
    ...unsignedParts,
  }
}

function parseReference(reference: Element, where: string): ParsedReference {
  const uri = reference.getAttribute('URI')
  if (uri === null || uri === '') return malformed(`${where}: a reference has no URI`)
  const transformsElement = optional(reference, NS.ds, 'Transforms', where)
  return {
    id: reference.getAttribute('Id'),
    uri,
    type: reference.getAttribute('Type'),
    transforms:
      transformsElement === null
        ? []
        : childElements(transformsElement, NS.ds, 'Transform').map(algorithmOf),
    digestMethod: algorithmOf(one(reference, NS.ds, 'DigestMethod', where)),
    digestValue: base64(one(reference, NS.ds, 'DigestValue', where), where),
  }
}

function signingTimeOf(properties: Element, where: string): Date | null {
  const element = optional(properties, NS.xades, 'SigningTime', where)
  if (element === null) return null
  const text = textOf(element).trim()
  const time = new Date(text)
  if (
    !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text) ||
    isNaN(time.getTime())
  )
    malformed(`${where}: SigningTime ${text} is not a dateTime`)
  return time
}

function signingCertificatesOf(properties: Element, where: string): CertificateReference[] {
  const v1 = optional(properties, NS.xades, 'SigningCertificate', where)
  const v2 = optional(properties, NS.xades, 'SigningCertificateV2', where)
  if (v1 !== null && v2 !== null)
    malformed(`${where}: both SigningCertificate and SigningCertificateV2`)
  const container = v1 ?? v2
  if (container === null) return []
  return childElements(container, NS.xades, 'Cert').map((cert) => {
    const digest = one(cert, NS.xades, 'CertDigest', where)
    return {
      digestMethod: algorithmOf(one(digest, NS.ds, 'DigestMethod', where)),
      digestValue: base64(one(digest, NS.ds, 'DigestValue', where), where),
      version: v1 !== null ? 1 : 2,
    }
  })
}

function policyOf(properties: Element, where: string): string | null {
  const identifier = optional(properties, NS.xades, 'SignaturePolicyIdentifier', where)
  if (identifier === null) return null
  const policyId = optional(identifier, NS.xades, 'SignaturePolicyId', where)
  if (policyId === null) return null
  const id = one(one(policyId, NS.xades, 'SigPolicyId', where), NS.xades, 'Identifier', where)
  return textOf(id)
    .trim()
    .replace(/^urn:oid:/, '')
}

function claimedRolesOf(properties: Element): string[] {
  return [
    ...childElements(properties, NS.xades, 'SignerRole'),
    ...childElements(properties, NS.xades, 'SignerRoleV2'),
  ].flatMap((role) =>
    childElements(role, NS.xades, 'ClaimedRoles').flatMap((roles) =>
      childElements(roles, NS.xades, 'ClaimedRole').map((claimed) => textOf(claimed).trim()),
    ),
  )
}

function productionPlaceOf(properties: Element): Record<string, string> | null {
  const place = [
    ...childElements(properties, NS.xades, 'SignatureProductionPlace'),
    ...childElements(properties, NS.xades, 'SignatureProductionPlaceV2'),
  ][0]
  if (place === undefined) return null
  const fields: Record<string, string> = {}
  for (const [name, key] of [
    ['City', 'city'],
    ['StateOrProvince', 'stateOrProvince'],
    ['PostalCode', 'postalCode'],
    ['CountryName', 'countryName'],
  ]) {
    const element = childElements(place, NS.xades, name)[0]
    if (element !== undefined) fields[key] = textOf(element).trim()
  }
  return fields
}

function unsignedPropertiesOf(properties: Element | null, where: string) {
  if (properties === null)
    return { timestamps: [], certificateValues: [], ocspValues: [], archiveTimestamps: 0 }
  const timestamps = childElements(properties, NS.xades, 'SignatureTimeStamp').map((stamp) => {
    const method = optional(stamp, NS.ds, 'CanonicalizationMethod', where)
    const canonicalization =
      method === null ? 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315' : algorithmOf(method)
    if (!isC14nAlgorithm(canonicalization))
      unsupported(`${where}: time-stamp canonicalization ${canonicalization}`)
    return {
      canonicalization,
      token: base64(one(stamp, NS.xades, 'EncapsulatedTimeStamp', where), where),
    }
  })
  const certificateValues = childElements(properties, NS.xades, 'CertificateValues').flatMap(
    (values) =>
      childElements(values, NS.xades, 'EncapsulatedX509Certificate').map((cert) =>
        base64(cert, where),
      ),
  )
  const ocspValues = childElements(properties, NS.xades, 'RevocationValues').flatMap((values) =>
    childElements(values, NS.xades, 'OCSPValues').flatMap((ocsp) =>
      childElements(ocsp, NS.xades, 'EncapsulatedOCSPValue').map((value) => base64(value, where)),
    ),
  )
  const archiveTimestamps =
    childElements(properties, NS.xades141, 'ArchiveTimeStamp').length +
    childElements(properties, NS.xades, 'ArchiveTimeStamp').length
  return { timestamps, certificateValues, ocspValues, archiveTimestamps }
}

/** Two elements with one `Id` let an attacker point a reference at a decoy: refused. */
function assertUniqueIds(document: Document, file: string): void {
  const seen = new Set<string>()
  const all = document.getElementsByTagName('*')
  for (let index = 0; index < all.length; index++) {
    const id = all.item(index)?.getAttribute('Id')
    if (id === null || id === undefined) continue
    if (seen.has(id)) malformed(`${file}: two elements have Id "${id}"`)
    seen.add(id)
  }
}

export function childElements(parent: Element, ns?: string, localName?: string): Element[] {
  const found: Element[] = []
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType !== 1) continue
    const element = node as Element
    if (ns !== undefined && (element.namespaceURI !== ns || element.localName !== localName))
      continue
    found.push(element)
  }
  return found
}

function one(parent: Element, ns: string, localName: string, where: string): Element {
  const found = childElements(parent, ns, localName)
  if (found.length !== 1)
    malformed(
      `${where}: ${localName} must occur once in ${parent.localName}, not ${found.length} times`,
    )
  return found[0]
}

function optional(parent: Element, ns: string, localName: string, where: string): Element | null {
  const found = childElements(parent, ns, localName)
  if (found.length > 1) malformed(`${where}: ${localName} occurs ${found.length} times`)
  return found[0] ?? null
}

function algorithmOf(element: Element): string {
  return element.getAttribute('Algorithm') ?? malformed(`${element.localName} names no Algorithm`)
}

function textOf(element: Element): string {
  return element.textContent ?? ''
}

function base64(element: Element, where: string): Buffer {
  const text = textOf(element).replace(/[\s]+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0 || text.length === 0)
    malformed(`${where}: ${element.localName} is not base64`)
  return Buffer.from(text, 'base64')
}

function unsupported(why: string): never {
  throw new SignatureError('XADES_UNSUPPORTED', why)
}
