/**
 * "My data" as a module: one page, read through the exchange as the state portal for the
 * person logged in. It owns no tables and writes nothing but the reads' access records (the
 * door's).
 */
import { join } from 'node:path'
import { requireSession, type SessionNeeds } from '../../identity/index.ts'
import { defineModule, type Language } from '../../platform/index.ts'
import { readMyData, type MyData, type MyDataNeeds } from './my-data.ts'
import { MY_DATA_TEXTS } from './texts.ts'

type Needs = MyDataNeeds & SessionNeeds

export const myDataModule = defineModule<Needs>({
  name: 'my-data',
  summary: "A person's own data in the registers, read through the exchange as the state portal",
  errors: {},
  exchange: { consumes: ['population', 'vehicles', 'business'] },
  pages: [
    {
      path: '/my-data',
      title: { et: 'Minu andmed', en: 'My data', ru: 'Мои данные' },
      description: {
        et: 'Mida registrid sinu kohta teavad: isik, elukoht, perekond, sõidukid, load, ettevõtted.',
        en: 'What the registers hold about you: person, address, family, vehicles, licences, companies.',
        ru: 'Что регистры знают о вас: личность, адрес, семья, транспорт, права, компании.',
      },
      audience: 'resident',
      listed: true,
      templates: join(import.meta.dirname, 'pages'),
      async render({ request, language, platform }) {
        const session = await requireSession(request, platform())
        const data = await readMyData(platform(), session.personalCode)
        return { template: 'my-data/index.njk', context: viewOf(data, language) }
      },
    },
  ],
})

function viewOf(data: MyData, language: Language): Record<string, unknown> {
  const x = MY_DATA_TEXTS[language]
  const text = (value: unknown): string =>
    value === null || value === undefined || value === '' ? x.none : String(value)
  const row = (key: string, value: unknown) => ({
    key: { text: key },
    value: { text: text(value) },
  })
  const person = data.person as {
    firstName?: string
    lastName?: string
    personalCode?: string
    birthDate?: string
    citizenship?: string
    residence?: { address?: string } | null
    contact?: { email?: string | null; phone?: string | null }
    spouseCode?: string | null
    motherCode?: string | null
    fatherCode?: string | null
    childrenCodes?: string[]
  }
  const licences = data.vehicles
    .map((vehicle) => vehicle.userLicence as Record<string, unknown> | null)
    .filter(
      (licence): licence is Record<string, unknown> => licence !== null && licence !== undefined,
    )
  const licence = licences[0]
  return {
    x,
    personRows: [
      row(x.name, `${person.firstName ?? ''} ${person.lastName ?? ''}`.trim()),
      row(x.personalCode, person.personalCode),
      row(x.birthDate, person.birthDate),
      row(x.citizenship, person.citizenship),
      row(x.residence, person.residence?.address),
      row(x.email, person.contact?.email),
      row(x.phone, person.contact?.phone),
    ],
    familyRows: [
      row(x.spouse, person.spouseCode),
      row(x.mother, person.motherCode),
      row(x.father, person.fatherCode),
      row(x.children, (person.childrenCodes ?? []).join(', ')),
    ],
    vehicleRows: data.vehicles.map((vehicle) => {
      const owner = vehicle.owner as { code?: string } | undefined
      return [
        { text: text(vehicle.plate) },
        { text: `${text(vehicle.make)} ${text(vehicle.model)}` },
        { text: owner?.code === person.personalCode ? x.owner : x.user },
        { text: text(vehicle.inspectionValidUntil) },
      ]
    }),
    licenceRows:
      licence === undefined
        ? []
        : [
            row(x.licence, licence.licenceNumber),
            row(x.licenceCategories, (licence.categories as string[] | undefined)?.join(', ')),
            row(x.validUntil, licence.validUntil),
          ],
    companyRows: data.companies.map((company) => [
      { text: company.name },
      { text: company.registryCode },
    ]),
  }
}
