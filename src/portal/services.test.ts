import { describe, expect, it } from 'vitest'
import { mountPage } from './options.ts'
import { frontPageServices } from './services.ts'

const page = (path: string, listed: boolean) =>
  mountPage(
    {
      path,
      listed,
      audience: 'resident',
      title: { et: `P ${path}`, en: `Page ${path}`, ru: `С ${path}` },
      description: { et: 'kirjeldus', en: 'description', ru: 'описание' },
    },
    () => ({}),
  )

describe('the front page services', () => {
  it('lists the fixed services, then listed module pages before the public infrastructure', () => {
    const hrefs = frontPageServices([page('/tax', true), page('/hidden', false)], 'en').map(
      (service) => service.href,
    )
    expect(hrefs).toEqual([
      '/login',
      '/my-data',
      '/tracker',
      '/sign',
      '/validate',
      '/desk',
      '/tax',
      '/ledger',
      '/trust',
      '/docs',
    ])
  })

  it("lets a module page at a fixed service's path take its place, and moves a service", () => {
    const services = frontPageServices([page('/my-data', true)], 'et', { sign: '/signing' })
    expect(services.filter((service) => service.href === '/my-data')).toEqual([
      { href: '/my-data', title: 'P /my-data', description: 'kirjeldus', audience: 'resident' },
    ])
    expect(services.map((service) => service.href)).toContain('/signing')
    expect(services.find((service) => service.href === '/login')?.title).toBe(
      'Sisselogimine e-ID-ga',
    )
  })
})
