// Expected outputs: the W3C specs' own examples where they apply unchanged; otherwise produced by
// libxml2 — `xmllint --c14n` (1.0), `--c14n11`, `--exc-c14n` for whole documents, and xmlsec1's
// pre-digest buffer of a `#id` reference (a document subset) — and pasted here, so the tests do not
// need either tool. The spec examples that need a DTD (default attributes, entities, ID types) are
// shown without it: parseXml refuses any DOCTYPE.
import { describe, expect, it } from 'vitest'
import { DOMParser, type Element } from '@xmldom/xmldom'
import { C14N, canonicalize, isC14nAlgorithm } from './c14n.ts'
import { SignatureError } from './errors.ts'
import { parseXml } from './xml.ts'

function elementNamed(xml: string, localName: string): Element {
  const element = parseXml(xml).getElementsByTagNameNS('*', localName).item(0)
  if (element === null) throw new Error(`no ${localName} element`)
  return element
}

describe('canonical XML 1.0 of a whole document (spec §3)', () => {
  it('§3.1: drops the XML declaration; puts PIs and comments outside the root on their own lines', () => {
    const document = parseXml(`<?xml version="1.0"?>

<?xml-stylesheet   href="doc.xsl"
   type="text/xsl"   ?>

<doc>Hello, world!<!-- Comment 1 --></doc>

<?pi-without-data     ?>

<!-- Comment 2 -->

<!-- Comment 3 -->
`)
    expect(canonicalize(document, C14N.inclusive)).toBe(
      '<?xml-stylesheet href="doc.xsl"\n   type="text/xsl"   ?>\n' +
        '<doc>Hello, world!</doc>\n' +
        '<?pi-without-data?>',
    )
    expect(canonicalize(document, C14N.inclusiveComments)).toBe(
      '<?xml-stylesheet href="doc.xsl"\n   type="text/xsl"   ?>\n' +
        '<doc>Hello, world!<!-- Comment 1 --></doc>\n' +
        '<?pi-without-data?>\n' +
        '<!-- Comment 2 -->\n' +
        '<!-- Comment 3 -->',
    )
    expect(canonicalize(document, C14N.inclusiveComments, { omitComments: true })).toBe(
      canonicalize(document, C14N.inclusive),
    )
  })

  it('§3.2: keeps all whitespace in content', () => {
    const xml = `<doc>
   <clean>   </clean>
   <dirty>   A   B   </dirty>
   <mixed>
      A
      <clean>   </clean>
      B
      <dirty>   A   B   </dirty>
      C
   </mixed>
</doc>`
    expect(canonicalize(parseXml(xml), C14N.inclusive)).toBe(xml)
  })

  it('§3.3: normalises start and end tags, sorts namespaces then attributes, drops superfluous xmlns', () => {
    const document = parseXml(`<doc>
   <e1   />
   <e2   ></e2>
   <e3   name = "elem3"   id="elem3"   />
   <e4   name="elem4"   id="elem4"   ></e4>
   <e5 a:attr="out" b:attr="sorted" attr2="all" attr="I'm"
      xmlns:b="http://www.ietf.org"
      xmlns:a="http://www.w3.org"
      xmlns="http://example.org"/>
   <e6 xmlns="" xmlns:a="http://www.w3.org">
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="" xmlns:a="http://www.w3.org">
            <e9 xmlns="" xmlns:a="http://www.ietf.org"/>
         </e8>
      </e7>
   </e6>
</doc>`)
    // xmllint --c14n
    expect(canonicalize(document, C14N.inclusive)).toBe(`<doc>
   <e1></e1>
   <e2></e2>
   <e3 id="elem3" name="elem3"></e3>
   <e4 id="elem4" name="elem4"></e4>
   <e5 xmlns="http://example.org" xmlns:a="http://www.w3.org" xmlns:b="http://www.ietf.org" attr="I'm" attr2="all" b:attr="sorted" a:attr="out"></e5>
   <e6 xmlns:a="http://www.w3.org">
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="">
            <e9 xmlns:a="http://www.ietf.org"></e9>
         </e8>
      </e7>
   </e6>
</doc>`)
    // xmllint --exc-c14n: e6 and e9 do not use the prefix a.
    expect(canonicalize(document, C14N.exclusive)).toContain(
      '<e6>\n      <e7 xmlns="http://www.ietf.org">\n         <e8 xmlns="">\n            <e9></e9>',
    )
  })

  it('§3.4: escapes text and attribute values, renders CDATA as text', () => {
    const document = parseXml(`<doc>
   <text>First line&#x0d;&#10;Second line</text>
   <value>&#x32;</value>
   <compute><![CDATA[value>"0" && value<"10" ?"valid":"error"]]></compute>
   <compute expr='value>"0" &amp;&amp; value&lt;"10" ?"valid":"error"'>valid</compute>
   <norm attr=' &apos;   &#x20;&#13;&#xa;&#9;   &apos; '/>
   <normNames attr='   A   &#x20;&#13;&#xa;&#9;   B   '/>
</doc>`)
    // xmllint --c14n (without a DTD, normNames is CDATA and keeps its spaces)
    expect(canonicalize(document, C14N.inclusive)).toBe(`<doc>
   <text>First line&#xD;
Second line</text>
   <value>2</value>
   <compute>value&gt;"0" &amp;&amp; value&lt;"10" ?"valid":"error"</compute>
   <compute expr="value>&quot;0&quot; &amp;&amp; value&lt;&quot;10&quot; ?&quot;valid&quot;:&quot;error&quot;">valid</compute>
   <norm attr=" '    &#xD;&#xA;&#x9;   ' "></norm>
   <normNames attr="   A    &#xD;&#xA;&#x9;   B   "></normNames>
</doc>`)
  })

  it('§3.6: character references become characters', () => {
    const document = parseXml('<?xml version="1.0" encoding="ISO-8859-1"?>\n<doc>&#169;</doc>\n')
    expect(canonicalize(document, C14N.inclusive)).toBe('<doc>\u00a9</doc>')
  })

  it('sorts attribute names by code point, not by UTF-16 code unit', () => {
    // xmllint --c14n: U+FF21 sorts before U+10000 (a surrogate pair in UTF-16).
    const document = parseXml('<r a\u{10000}="1" a\uff21="2" ab="3"/>')
    expect(canonicalize(document, C14N.inclusive)).toBe('<r ab="3" a\uff21="2" a\u{10000}="1"></r>')
  })

  it('renders the same document identically by every algorithm when nothing is inherited', () => {
    const document = parseXml('<r xmlns="urn:r" xmlns:p="urn:p" p:b="2"><p:x p:a="1"/><!--c--></r>')
    const expected = '<r xmlns="urn:r" xmlns:p="urn:p" p:b="2"><p:x p:a="1"></p:x></r>'
    for (const algorithm of [C14N.inclusive, C14N.c14n11, C14N.exclusive])
      expect(canonicalize(document, algorithm)).toBe(expected)
  })
})

describe('an element subset (a #id reference or SignedInfo)', () => {
  // Spec §3.7's namespaces, with the xml:* attributes of the omitted root.
  const xml = `<doc xmlns="http://www.ietf.org" xmlns:w3c="http://www.w3.org" xml:lang="en" xml:space="preserve">
   <e1 id="E1">
      <e2 xmlns="" xml:lang="fr">
         <e3 id="E3"/>
      </e2>
   </e1>
</doc>`
  const body = `
      <e2 xmlns="" xml:lang="fr">
         <e3 id="E3"></e3>
      </e2>
   </e1>`

  it('inclusive: the apex renders every namespace in scope and inherits xml:* attributes', () => {
    // xmlsec1, Reference URI="#E1" with the C14N 1.0 and 1.1 transforms
    const expected = `<e1 xmlns="http://www.ietf.org" xmlns:w3c="http://www.w3.org" id="E1" xml:lang="en" xml:space="preserve">${body}`
    expect(canonicalize(elementNamed(xml, 'e1'), C14N.inclusive)).toBe(expected)
    expect(canonicalize(elementNamed(xml, 'e1'), C14N.c14n11)).toBe(expected)
  })

  it('inclusive: no xmlns="" on an apex with no default namespace in scope', () => {
    // xmlsec1, Reference URI="#E3"; e3 keeps its own nearest xml:lang
    expect(canonicalize(elementNamed(xml, 'e3'), C14N.inclusive)).toBe(
      '<e3 xmlns:w3c="http://www.w3.org" id="E3" xml:lang="fr" xml:space="preserve"></e3>',
    )
  })

  it('exclusive: the apex renders only what it uses and inherits no xml:* attribute', () => {
    // xmlsec1, Reference URI="#E1" with the exclusive transform
    expect(canonicalize(elementNamed(xml, 'e1'), C14N.exclusive)).toBe(
      `<e1 xmlns="http://www.ietf.org" id="E1">${body}`,
    )
  })

  const omittedXml = `<doc xmlns="urn:default" xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:unused" xml:lang="de" xml:base="http://example.org/" xml:id="top" xml:space="preserve">
  <plain id="P1"><child xmlns="">t</child></plain>
</doc>`

  it('C14N 1.0 inherits every xml:* attribute; 1.1 only xml:lang and xml:space', () => {
    const plain = elementNamed(omittedXml, 'plain')
    const namespaces =
      'xmlns="urn:default" xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:unused"'
    const children = '<child xmlns="">t</child></plain>'
    // xmlsec1 (1.0)
    expect(canonicalize(plain, C14N.inclusive)).toBe(
      `<plain ${namespaces} id="P1" xml:base="http://example.org/" xml:id="top" xml:lang="de" xml:space="preserve">${children}`,
    )
    // xmlsec1 (1.1) also carries xml:base over, joined with the omitted ancestors' (1.1 §2.4
    // "fixup"); we choose not to inherit xml:base at all, which XAdES never uses.
    expect(canonicalize(plain, C14N.c14n11)).toBe(
      `<plain ${namespaces} id="P1" xml:lang="de" xml:space="preserve">${children}`,
    )
  })

  it('exclusive: an ancestor namespace the subset does not use does not appear', () => {
    // xmlsec1, Reference URI="#P1" with the exclusive transform
    expect(canonicalize(elementNamed(omittedXml, 'plain'), C14N.exclusive)).toBe(
      '<plain xmlns="urn:default" id="P1"><child xmlns="">t</child></plain>',
    )
  })

  it('exclusive: the InclusiveNamespaces PrefixList renders its prefixes by the inclusive rule', () => {
    // xmlsec1, PrefixList="a unused #default"
    expect(
      canonicalize(elementNamed(omittedXml, 'plain'), C14N.exclusive, {
        inclusivePrefixes: ['a', 'unused', '#default'],
      }),
    ).toBe(
      '<plain xmlns="urn:default" xmlns:a="urn:a" xmlns:unused="urn:unused" id="P1"><child xmlns="">t</child></plain>',
    )
  })

  it('an element subset loses its comments only under omitComments', () => {
    const inner = elementNamed('<r><x><!--c-->t</x></r>', 'x')
    expect(canonicalize(inner, C14N.exclusiveComments)).toBe('<x><!--c-->t</x>')
    expect(canonicalize(inner, C14N.exclusiveComments, { omitComments: true })).toBe('<x>t</x>')
    expect(canonicalize(inner, C14N.exclusive)).toBe('<x>t</x>')
  })
})

describe('exclusive canonicalization (Exclusive XML Canonicalization 1.0 §2.2)', () => {
  const first = `<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en">
     <n3:stuff xmlns:n3="ftp://example.org"/>
   </n1:elem2></n0:local>`
  const second = `<n2:pdu xmlns:n1="http://example.com" xmlns:n2="http://foo.example" xml:lang="fr" xml:space="retain"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en">
     <n3:stuff xmlns:n3="ftp://example.org"/>
   </n1:elem2></n2:pdu>`

  it('inclusive C14N of elem2 depends on its context', () => {
    expect(canonicalize(elementNamed(first, 'elem2'), C14N.inclusive)).toBe(
      `<n1:elem2 xmlns:n0="foo:bar" xmlns:n1="http://example.net" xmlns:n3="ftp://example.org" xml:lang="en">
     <n3:stuff></n3:stuff>
   </n1:elem2>`,
    )
    expect(canonicalize(elementNamed(second, 'elem2'), C14N.inclusive)).toBe(
      `<n1:elem2 xmlns:n1="http://example.net" xmlns:n2="http://foo.example" xml:lang="en" xml:space="retain">
     <n3:stuff xmlns:n3="ftp://example.org"></n3:stuff>
   </n1:elem2>`,
    )
  })

  it('exclusive C14N of elem2 is the same in both contexts', () => {
    const expected = `<n1:elem2 xmlns:n1="http://example.net" xml:lang="en">
     <n3:stuff xmlns:n3="ftp://example.org"></n3:stuff>
   </n1:elem2>`
    expect(canonicalize(elementNamed(first, 'elem2'), C14N.exclusive)).toBe(expected)
    expect(canonicalize(elementNamed(second, 'elem2'), C14N.exclusive)).toBe(expected)
  })

  it('renders a namespace used only by an attribute, and xmlns="" only to undo a rendered default', () => {
    const document = parseXml(
      '<r xmlns="urn:d" xmlns:a="urn:a"><a:x xmlns="" a:k="1"><y/></a:x><z xmlns=""/></r>',
    )
    // xmllint --exc-c14n
    expect(canonicalize(document, C14N.exclusive)).toBe(
      '<r xmlns="urn:d"><a:x xmlns:a="urn:a" a:k="1"><y xmlns=""></y></a:x><z xmlns=""></z></r>',
    )
  })
})

describe('a XAdES signature', () => {
  const signatures = `<asic:XAdESSignatures xmlns:asic="http://uri.etsi.org/02918/v1.2.1#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xades="http://uri.etsi.org/01903/v1.3.2#"><ds:Signature Id="S0"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2006/12/xml-c14n11"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/><ds:Reference URI="test.txt"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue><ds:Object><xades:QualifyingProperties Target="#S0"><xades:SignedProperties Id="SP"><xades:SigningTime>2026-01-01T00:00:00Z</xades:SigningTime></xades:SignedProperties></xades:QualifyingProperties></ds:Object></ds:Signature></asic:XAdESSignatures>`
  const content =
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2006/12/xml-c14n11"></ds:CanonicalizationMethod>' +
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"></ds:SignatureMethod>' +
    '<ds:Reference URI="test.txt"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></ds:DigestMethod>' +
    '<ds:DigestValue>n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=</ds:DigestValue></ds:Reference></ds:SignedInfo>'

  it('inclusive SignedInfo carries the three namespaces of the root', () => {
    // xmlsec1 (1.0 and 1.1)
    const expected = `<ds:SignedInfo xmlns:asic="http://uri.etsi.org/02918/v1.2.1#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xades="http://uri.etsi.org/01903/v1.3.2#">${content}`
    expect(canonicalize(elementNamed(signatures, 'SignedInfo'), C14N.c14n11)).toBe(expected)
    expect(canonicalize(elementNamed(signatures, 'SignedInfo'), C14N.inclusive)).toBe(expected)
  })

  it('exclusive SignedInfo carries only xmlns:ds', () => {
    expect(canonicalize(elementNamed(signatures, 'SignedInfo'), C14N.exclusive)).toBe(
      `<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">${content}`,
    )
  })

  it('exclusive SignedProperties carries only xmlns:xades', () => {
    expect(canonicalize(elementNamed(signatures, 'SignedProperties'), C14N.exclusive)).toBe(
      '<xades:SignedProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" Id="SP"><xades:SigningTime>2026-01-01T00:00:00Z</xades:SigningTime></xades:SignedProperties>',
    )
  })
})

describe('algorithms and limits', () => {
  it('knows the six algorithm URIs and refuses any other', () => {
    for (const uri of Object.values(C14N)) expect(isC14nAlgorithm(uri)).toBe(true)
    expect(isC14nAlgorithm('http://www.w3.org/2000/09/xmldsig#base64')).toBe(false)
    const document = parseXml('<r/>')
    expect(() => canonicalize(document, 'http://www.w3.org/TR/1999/REC-xpath-19991116')).toThrow(
      expect.objectContaining({ code: 'XML_C14N_UNSUPPORTED' }),
    )
    expect(() => canonicalize(document, 'urn:nothing')).toThrow(SignatureError)
  })

  it('canonicalizes 100,000 nested elements without exhausting the call stack', () => {
    const depth = 100_000
    // Built with the DOM parser itself: parseXml refuses such nesting before parsing.
    const document = new DOMParser().parseFromString(
      `${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}`,
      'application/xml',
    )
    const canonical = canonicalize(document, C14N.exclusive)
    expect(canonical.length).toBe(depth * 7 + 1)
    expect(canonical.slice(depth * 3 - 3, depth * 3 + 5)).toBe('<a>x</a>')
  })
})
