import { describe, expect, it } from 'vitest'
import { helpText } from './main.ts'

describe('e-state --help', () => {
  it("lists the modules' settings, never a secret's default", () => {
    const text = helpText(new Map(), [
      {
        module: 'tax',
        name: 'E_STATE_TAX_YEAR_END',
        description: 'the last day of the tax year',
        default: '12-31',
      },
      {
        module: 'tax',
        name: 'E_STATE_TAX_BANK_KEY',
        description: "the bank's key",
        default: 'dev-only-key',
        secret: true,
      },
    ])
    expect(text).toContain(
      "the modules' settings (environment):\n  E_STATE_TAX_YEAR_END  the last day of the tax year (tax; default 12-31)",
    )
    expect(text).toContain("E_STATE_TAX_BANK_KEY  the bank's key (tax; secret)")
    expect(text).not.toContain('dev-only-key')
    expect(helpText(new Map())).not.toContain('settings')
  })
})
