/** The business register: companies, non-profits and foundations with their people. */
import { Type, type Static } from 'typebox'
import type { RegistryDefinition } from './registry-definition.ts'
import { findAddresses } from './addresses.ts'
import { applyCriteria, countMatching } from './search-query.ts'

const Person = Type.Object({
  personalCode: Type.String(),
  name: Type.String(),
  since: Type.String({ format: 'date' }),
})

export const CompanyRecordSchema = Type.Object({
  registryCode: Type.String({ pattern: '^[1-9][0-9]{7}$' }),
  name: Type.String(),
  legalForm: Type.String(),
  status: Type.String(),
  foundedOn: Type.String({ format: 'date' }),
  address: Type.Union([Type.String(), Type.Null()]),
  activityCode: Type.String({ description: 'EMTAK (NACE) activity code' }),
  email: Type.Union([Type.String(), Type.Null()]),
  boardMembers: Type.Array(Person),
  shareholders: Type.Array(
    Type.Intersect([
      Person,
      Type.Object({ sharePercent: Type.Union([Type.Number(), Type.Null()]) }),
    ]),
  ),
  founders: Type.Array(Person),
})

export type CompanyRecord = Static<typeof CompanyRecordSchema>

const COLUMNS = {
  registryCode: 'registry_code',
  name: 'name',
  legalForm: 'legal_form',
  status: 'status',
}

export const businessRegistry: RegistryDefinition<CompanyRecord> = {
  name: 'business',
  version: '1.0',
  title: 'Business register',
  idField: 'registryCode',
  fields: { registryCode: 'registryCode', name: 'text', legalForm: 'text', status: 'text' },
  defaultSearchField: 'name',
  recordSchema: CompanyRecordSchema,
  personal: true,
  dataLabel: 'business.company-roles',
  async search({ db }, criteria) {
    const base = applyCriteria(db.selectFrom('companies'), criteria, COLUMNS)
    const rows = await base
      .selectAll()
      .orderBy('name', criteria.descending ? 'desc' : 'asc')
      .orderBy('registry_code')
      .limit(criteria.limit)
      .offset(criteria.offset)
      .execute()
    const total = await countMatching(base, criteria, rows.length)
    if (rows.length === 0) return { records: [], total: total }
    const [addresses, people] = await Promise.all([
      findAddresses(
        db,
        rows.flatMap((row) => (row.building_code === null ? [] : [row.building_code])),
      ),
      db
        .selectFrom('company_people')
        .innerJoin('persons', 'persons.personal_code', 'company_people.personal_code')
        .select([
          'company_people.registry_code',
          'company_people.personal_code',
          'company_people.role',
          'company_people.share_percent',
          'company_people.since',
          'persons.first_name',
          'persons.last_name',
        ])
        .where(
          'company_people.registry_code',
          'in',
          rows.map((row) => row.registry_code),
        )
        .orderBy('company_people.personal_code')
        .execute(),
    ])
    const records = rows.map((row): CompanyRecord => {
      const mine = people.filter((person) => person.registry_code === row.registry_code)
      const entry = (person: (typeof mine)[number]) => ({
        personalCode: person.personal_code,
        name: `${person.first_name} ${person.last_name}`,
        since: person.since,
      })
      return {
        registryCode: row.registry_code,
        name: row.name,
        legalForm: row.legal_form,
        status: row.status,
        foundedOn: row.founded_on,
        address:
          row.building_code === null ? null : (addresses.get(row.building_code)?.address ?? null),
        activityCode: row.activity_code,
        email: row.email,
        boardMembers: mine.filter((person) => person.role === 'board member').map(entry),
        shareholders: mine
          .filter((person) => person.role === 'shareholder')
          .map((person) => ({
            ...entry(person),
            sharePercent: person.share_percent === null ? null : Number(person.share_percent),
          })),
        founders: mine.filter((person) => person.role === 'founder').map(entry),
      }
    })
    return { records, total: total }
  },
  subjectsOf: (record) => [
    ...new Set(
      [...record.boardMembers, ...record.shareholders, ...record.founders].map(
        (person) => person.personalCode,
      ),
    ),
  ],
}
