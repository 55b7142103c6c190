/**
 * XML canonicalization for XML-DSig and XAdES: the exact bytes that get digested and signed.
 *
 * Three W3C algorithms, each with and without comments:
 *   - Canonical XML 1.0 (https://www.w3.org/TR/2001/REC-xml-c14n-20010315),
 *   - Canonical XML 1.1 (https://www.w3.org/TR/2008/REC-xml-c14n11-20080502/),
 *   - Exclusive XML Canonicalization 1.0 (https://www.w3.org/TR/2002/REC-xml-exc-c14n-20020718/).
 *
 * The input is a whole Document, or an Element standing for the document subset "this element and
 * all its descendants" — the node-set of a same-document reference `#id` or of SignedInfo. Every
 * algorithm writes text, attributes and tags the same way (C14N 1.0 §2.3): no XML declaration nor
 * DOCTYPE, CDATA as escaped text, empty elements as a start and an end tag, namespace declarations
 * first sorted by prefix, then attributes sorted by (namespace URI, local name) in code point order.
 * They differ in what a subset's apex inherits from the ancestors left out of the subset:
 *   - inclusive (1.0, 1.1): the apex renders every namespace binding in scope (§2.3: its nearest
 *     output ancestor has none), and the xml:* attributes of its ancestors unless it has its own —
 *     all of them in 1.0; only xml:lang and xml:space in 1.1 (§2.4: xml:id is not inherited;
 *     xml:base would need 1.1's URI "fixup", and we choose not to inherit it at all);
 *   - exclusive: nothing is inherited; an element renders a namespace binding only when it visibly
 *     utilises it (its own prefix or an attribute's; the default namespace for an unprefixed
 *     element) and no output ancestor already rendered it with the same value (§3). Prefixes of the
 *     InclusiveNamespaces PrefixList ("#default" for the default) follow the inclusive rule instead.
 * Below the apex, a binding is rendered only where it differs from what the output ancestors
 * rendered; xmlns="" only undoes a default namespace rendered above.
 *
 * Namespace bindings are read from the xmlns attributes xmldom keeps on each element (namespace
 * URI http://www.w3.org/2000/xmlns/), which is XPath's namespace axis for a parsed document; they
 * are never rendered as ordinary attributes. The `xml` prefix is bound implicitly and, as in every
 * common implementation, never rendered. An explicit stack replaces recursion, so hostile nesting
 * costs heap, not call stack.
 */
import type { Attr, Document, Element, Node, ProcessingInstruction } from '@xmldom/xmldom'
import { SignatureError } from './errors.ts'

export const C14N = {
  inclusive: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  inclusiveComments: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
  c14n11: 'http://www.w3.org/2006/12/xml-c14n11',
  c14n11Comments: 'http://www.w3.org/2006/12/xml-c14n11#WithComments',
  exclusive: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  exclusiveComments: 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
} as const

export interface C14nOptions {
  /** Exclusive C14N's InclusiveNamespaces PrefixList; "#default" names the default namespace. */
  readonly inclusivePrefixes?: readonly string[]
  /** Drop comments even for a #WithComments algorithm (the node-set of a `#id` reference). */
  readonly omitComments?: boolean
}

type Mode = 'c14n10' | 'c14n11' | 'exclusive'

const ALGORITHMS: ReadonlyMap<string, { readonly mode: Mode; readonly comments: boolean }> =
  new Map([
    [C14N.inclusive, { mode: 'c14n10', comments: false }],
    [C14N.inclusiveComments, { mode: 'c14n10', comments: true }],
    [C14N.c14n11, { mode: 'c14n11', comments: false }],
    [C14N.c14n11Comments, { mode: 'c14n11', comments: true }],
    [C14N.exclusive, { mode: 'exclusive', comments: false }],
    [C14N.exclusiveComments, { mode: 'exclusive', comments: true }],
  ])

const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/'
const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace'
const ELEMENT_NODE = 1
const TEXT_NODE = 3
const CDATA_SECTION_NODE = 4
const PROCESSING_INSTRUCTION_NODE = 7
const COMMENT_NODE = 8
const DOCUMENT_NODE = 9

interface Settings {
  readonly mode: Mode
  readonly comments: boolean
  /** The PrefixList of exclusive C14N, '' for the default namespace; empty otherwise. */
  readonly inclusivePrefixes: readonly string[]
}

/** Namespace bindings, prefix ('' for the default) → URI ('' when no default namespace). */
type Bindings = ReadonlyMap<string, string>

interface Scope {
  /** The bindings in scope on the element (XPath's namespace axis). */
  readonly inScope: Bindings
  /** The bindings as rendered by the output ancestors, the nearest one winning. */
  readonly rendered: Bindings
}

interface SortableAttribute {
  readonly name: string
  readonly value: string
  readonly namespace: string
  readonly localName: string
}

/** An open element on the explicit stack: its name, its scope, and the next child to visit. */
interface Frame {
  readonly name: string
  readonly scope: Scope
  next: Node | null
}

export function isC14nAlgorithm(uri: string): boolean {
  return ALGORITHMS.has(uri)
}

/**
 * The canonical form (UTF-8 string) of `node` — a whole Document, or an Element meaning the
 * document subset "this element and all its descendants" — by `algorithm`.
 */
export function canonicalize(node: Node, algorithm: string, options: C14nOptions = {}): string {
  const known = ALGORITHMS.get(algorithm)
  if (known === undefined)
    throw new SignatureError('XML_C14N_UNSUPPORTED', `unsupported canonicalization ${algorithm}`)
  const settings: Settings = {
    mode: known.mode,
    comments: known.comments && options.omitComments !== true,
    inclusivePrefixes:
      known.mode === 'exclusive'
        ? (options.inclusivePrefixes ?? []).map((prefix) => (prefix === '#default' ? '' : prefix))
        : [],
  }
  if (node.nodeType === DOCUMENT_NODE) return canonicalizeDocument(node as Document, settings)
  if (node.nodeType === ELEMENT_NODE) return canonicalizeElement(node as Element, settings)
  throw new TypeError('canonicalize takes a Document or an Element')
}

/** C14N 1.0 §2.3, root node: PIs and comments around the document element, one per line. */
function canonicalizeDocument(document: Document, settings: Settings): string {
  const out: string[] = []
  let beforeRoot = true
  for (let child = document.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === ELEMENT_NODE) {
      out.push(canonicalizeElement(child as Element, settings))
      beforeRoot = false
      continue
    }
    // Text and the DOCTYPE render as nothing here. xmldom keeps the XML declaration as a PI with
    // the target "xml", which no real PI may have.
    const isPiOrComment =
      (child.nodeType === PROCESSING_INSTRUCTION_NODE &&
        (child as ProcessingInstruction).target !== 'xml') ||
      child.nodeType === COMMENT_NODE
    const text = isPiOrComment ? renderLeaf(child, settings) : ''
    if (text !== '') out.push(beforeRoot ? `${text}\n` : `\n${text}`)
  }
  return out.join('')
}

/** The element and its descendants, depth first over an explicit stack. */
function canonicalizeElement(apex: Element, settings: Settings): string {
  const out: string[] = []
  const stack: Frame[] = [openElement(apex, apexScope(apex), settings, out, true)]
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]
    const node = frame.next
    if (node === null) {
      out.push(`</${frame.name}>`)
      stack.pop()
      continue
    }
    frame.next = node.nextSibling
    if (node.nodeType === ELEMENT_NODE)
      stack.push(openElement(node as Element, frame.scope, settings, out, false))
    else out.push(renderLeaf(node, settings))
  }
  return out.join('')
}

/** The bindings in scope on the apex's parent; nothing is rendered yet. */
function apexScope(apex: Element): Scope {
  const ancestors: Element[] = []
  for (let node = apex.parentNode; node?.nodeType === ELEMENT_NODE; node = node.parentNode)
    ancestors.push(node as Element)
  let inScope: Bindings = new Map()
  for (let index = ancestors.length - 1; index >= 0; index--)
    inScope = withBindings(inScope, declarationsOf(ancestors[index]))
  return { inScope, rendered: new Map() }
}

/** Writes the start tag of `element` and returns its frame. */
function openElement(
  element: Element,
  parent: Scope,
  settings: Settings,
  out: string[],
  isApex: boolean,
): Frame {
  const declared = declarationsOf(element)
  const inScope = withBindings(parent.inScope, declared)
  const candidates =
    settings.mode === 'exclusive'
      ? [...visiblyUtilised(element), ...settings.inclusivePrefixes]
      : isApex
        ? [...inScope.keys()]
        : declared.map(([prefix]) => prefix) // below the apex, only these can differ
  const namespaces = new Map<string, string>()
  for (const prefix of candidates) {
    const uri = inScope.get(prefix) ?? ''
    if (uri !== (parent.rendered.get(prefix) ?? '')) namespaces.set(prefix, uri)
  }
  const attributes = ordinaryAttributes(element)
  if (isApex && settings.mode !== 'exclusive')
    attributes.push(...inheritedXmlAttributes(element, settings.mode))
  out.push(`<${element.nodeName}`)
  for (const [prefix, uri] of [...namespaces].sort((a, b) => compareCodePoints(a[0], b[0])))
    out.push(`${prefix === '' ? ' xmlns' : ` xmlns:${prefix}`}="${escapeAttribute(uri)}"`)
  for (const attribute of attributes.sort(compareAttributes))
    out.push(` ${attribute.name}="${escapeAttribute(attribute.value)}"`)
  out.push('>')
  const rendered = withBindings(parent.rendered, [...namespaces])
  return { name: element.nodeName, scope: { inScope, rendered }, next: element.firstChild }
}

/** The namespace declarations on an element, as [prefix, URI]; `xml` is bound implicitly. */
function declarationsOf(element: Element): [string, string][] {
  const declarations: [string, string][] = []
  for (const attribute of Array.from(element.attributes)) {
    if (attribute.namespaceURI !== XMLNS_NAMESPACE) continue
    const prefix = attribute.prefix === 'xmlns' ? (attribute.localName ?? '') : ''
    if (prefix !== 'xml') declarations.push([prefix, attribute.value])
  }
  return declarations
}

/** Exclusive C14N §1.1 (with its erratum): the prefixes an element or its attributes use. */
function visiblyUtilised(element: Element): string[] {
  const prefixes = [element.prefix ?? '']
  for (const attribute of Array.from(element.attributes)) {
    const prefix = attribute.prefix
    if (attribute.namespaceURI !== XMLNS_NAMESPACE && prefix !== null && prefix !== 'xml')
      prefixes.push(prefix)
  }
  return prefixes
}

function ordinaryAttributes(element: Element): SortableAttribute[] {
  return Array.from(element.attributes)
    .filter((attribute) => attribute.namespaceURI !== XMLNS_NAMESPACE)
    .map(asSortable)
}

/**
 * C14N 1.0 §2.4 and 1.1 §2.4: an apex without its own xml:* attribute takes its nearest
 * ancestor's. C14N 1.1 inherits only xml:lang and xml:space.
 */
function inheritedXmlAttributes(apex: Element, mode: Mode): SortableAttribute[] {
  const seen = new Set<string>()
  for (const attribute of Array.from(apex.attributes))
    if (attribute.namespaceURI === XML_NAMESPACE) seen.add(attribute.localName ?? '')
  const inherited: SortableAttribute[] = []
  for (let node = apex.parentNode; node?.nodeType === ELEMENT_NODE; node = node.parentNode) {
    for (const attribute of Array.from((node as Element).attributes)) {
      const localName = attribute.localName ?? ''
      if (attribute.namespaceURI !== XML_NAMESPACE || seen.has(localName)) continue
      if (mode === 'c14n11' && localName !== 'lang' && localName !== 'space') continue
      seen.add(localName)
      inherited.push(asSortable(attribute))
    }
  }
  return inherited
}

function asSortable(attribute: Attr): SortableAttribute {
  return {
    name: attribute.name,
    value: attribute.value,
    namespace: attribute.namespaceURI ?? '',
    localName: attribute.localName ?? attribute.name,
  }
}

function withBindings(bindings: Bindings, added: readonly (readonly [string, string])[]): Bindings {
  if (added.length === 0) return bindings
  const copy = new Map(bindings)
  for (const [prefix, uri] of added) copy.set(prefix, uri)
  return copy
}

/** Text, CDATA, comments and PIs; anything else (entity nodes) renders as nothing. */
function renderLeaf(node: Node, settings: Settings): string {
  switch (node.nodeType) {
    case TEXT_NODE:
    case CDATA_SECTION_NODE:
      return escapeText(node.nodeValue ?? '')
    case COMMENT_NODE:
      return settings.comments ? `<!--${node.nodeValue ?? ''}-->` : ''
    case PROCESSING_INSTRUCTION_NODE: {
      const { target, data } = node as ProcessingInstruction
      return data === '' ? `<?${target}?>` : `<?${target} ${data}?>`
    }
    default:
      return ''
  }
}

/** C14N 1.0 §2.3, attributes: by namespace URI (none first), then by local name. */
function compareAttributes(a: SortableAttribute, b: SortableAttribute): number {
  return compareCodePoints(a.namespace, b.namespace) || compareCodePoints(a.localName, b.localName)
}

/** Lexicographic by code point (as UTF-8 bytes would sort), not by UTF-16 code unit. */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let index = 0; index < length; index++) {
    const x = a.charCodeAt(index)
    const y = b.charCodeAt(index)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

/** Surrogates (U+D800–DFFF) encode code points above U+FFFF, so they rank after U+E000–FFFF. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800
}

const TEXT_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\r': '&#xD;',
}

const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
}

function escapeText(text: string): string {
  return text.replace(/[&<>\r]/g, (character) => TEXT_ESCAPES[character])
}

function escapeAttribute(value: string): string {
  return value.replace(/[&<"\t\n\r]/g, (character) => ATTRIBUTE_ESCAPES[character])
}
