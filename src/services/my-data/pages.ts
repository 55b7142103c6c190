/**
 * The pages of "my data": `/my-data`, the logged-in person's own data, and `/desk/my-data`, a
 * clerk showing a resident present in person theirs (identified by their document, every read
 * and the act in the resident's tracker as the clerk's).
 */
import { join } from 'node:path'
import { requireSession, type SessionNeeds } from '../../identity/index.ts'
import type { Language, PageDeclaration } from '../../platform/index.ts'
import { openDeskVisit, recordDeskAct, residentFields, type DeskNeeds } from '../desk/index.ts'
import {
  readMyData,
  readResidentData,
  SHOW_DATA,
  type MyData,
  type MyDataNeeds,
} from './my-data.ts'
import { MY_DATA_DESK_TEXTS, MY_DATA_TEXTS } from './texts.ts'

export type MyDataPageNeeds = MyDataNeeds & SessionNeeds & DeskNeeds

const TEMPLATES = join(import.meta.dirname, 'pages')

export const MY_DATA_PAGES: readonly PageDeclaration<MyDataPageNeeds>[] = [
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
    templates: TEMPLATES,
    async render({ request, language, platform }) {
      const session = await requireSession(request, platform())
      const data = await readMyData(platform(), session.personalCode)
      return { template: 'my-data/index.njk', context: viewOf(data, language) }
    },
  },
  {
    path: '/desk/my-data',
    title: {
      et: 'Elaniku andmed',
      en: "A resident's data",
      ru: 'Данные жителя',
    },
    audience: 'clerk',
    templates: TEMPLATES,
    async render({ language }) {
      return {
        template: 'my-data/desk.njk',
        context: { d: MY_DATA_DESK_TEXTS[language], values: {} },
      }
    },
    async submit({ request, language, platform, validate }) {
      const d = MY_DATA_DESK_TEXTS[language]
      const checked = validate(residentFields(MY_DATA_DESK_TEXTS))
      if (!checked.ok)
        return {
          template: 'my-data/desk.njk',
          context: { d, values: checked.values, formErrors: checked.errors },
          status: 400,
        }
      const resident = checked.values.personalCode
      const visit = await openDeskVisit(request, platform(), { resident, act: SHOW_DATA })
      let data: MyData
      try {
        data = await readResidentData(platform(), visit.caller, resident)
      } finally {
        // Whatever was read for the act is in the resident's tracker; so is the act, even when a
        // read failed part way.
        await recordDeskAct(platform(), visit)
      }
      return {
        template: 'my-data/desk.njk',
        context: {
          d,
          values: {},
          resident,
          ...viewOf(data, language),
          // The labels are the page's; what speaks to the person is said of the resident.
          x: { ...MY_DATA_TEXTS[language], noVehicles: d.noVehicles },
        },
      }
    },
  },
]

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
  const licences = (data.vehicles ?? [])
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
    vehiclesShown: data.vehicles !== undefined,
    vehicleRows: (data.vehicles ?? []).map((vehicle) => {
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
    companiesShown: data.companies !== undefined,
    companyRows: (data.companies ?? []).map((company) => [
      { text: company.name },
      { text: company.registryCode },
    ]),
  }
}
