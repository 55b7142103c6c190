import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createRenderer } from './renderer.ts'

const folder = mkdtempSync(join(tmpdir(), 'e-state-templates-'))
mkdirSync(join(folder, 'tax'))
writeFileSync(join(folder, 'tax/greeting.njk'), '<p>{{ name }}</p>')
writeFileSync(
  join(folder, 'tax/button.njk'),
  '{% from "govuk/components/button/macro.njk" import govukButton %}{{ govukButton({ text: label }) }}',
)
writeFileSync(join(folder, 'tax/form.njk'), '<form method="post">{{ csrfField() }}</form>')
// A module's template named like the portal's layout must not replace it.
writeFileSync(join(folder, 'layout.njk'), 'SHADOWED')
afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe('the renderer', () => {
  const renderer = createRenderer({ folders: [folder] })

  it('escapes what a page is given', () => {
    expect(renderer.render('tax/greeting.njk', { name: '<script>alert(1)</script>' })).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    )
  })

  it("renders govuk-frontend's component macros from a module's template", () => {
    const html = renderer.render('tax/button.njk', { label: 'Esita' })
    expect(html).toMatch(
      /<button type="submit" class="govuk-button" data-module="govuk-button">\s*Esita\s*<\/button>/,
    )
  })

  it("searches the portal's views before a module's folder", () => {
    renderer.compile(['layout.njk'])
    expect(
      renderer.render('layout.njk', { t: {}, languageLinks: [], navigation: [], csrfToken: 'x' }),
    ).not.toContain('SHADOWED')
  })

  it("puts the page's CSRF token in a form, and refuses a form outside a page", () => {
    expect(renderer.render('tax/form.njk', { csrfToken: 'abc_-9' })).toBe(
      '<form method="post"><input type="hidden" name="_csrf" value="abc_-9"></form>',
    )
    expect(() => renderer.render('tax/form.njk', {})).toThrow(/csrfField/)
    expect(() => renderer.render('tax/form.njk', { csrfToken: '"><script>' })).toThrow(/csrfField/)
  })

  it('fails on a missing template and on a relative template folder', () => {
    expect(() => renderer.render('tax/none.njk', {})).toThrow(/not found/)
    expect(() => createRenderer({ folders: ['pages'] })).toThrow(TypeError)
  })
})
