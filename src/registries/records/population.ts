/**
 * The population register: residents (and the deceased) with their residence, contact details,
 * family links and vital events.
 */
import { Type, type Static } from 'typebox'
import type { RegistryDefinition } from './registry-definition.ts'
import { findAddresses } from './addresses.ts'
import { applyCriteria, countMatching } from './search-query.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()])

export const PersonRecordSchema = Type.Object({
  personalCode: Type.String({ pattern: '^[1-8][0-9]{10}$' }),
  firstName: Type.String(),
  lastName: Type.String(),
  sex: Type.Union([Type.Literal('male'), Type.Literal('female')]),
  birthDate: Type.String({ format: 'date' }),
  citizenship: Type.String({ description: 'ISO 3166-1 alpha-3; XXA = stateless' }),
  nativeLanguage: Type.String(),
  status: Type.Union([Type.Literal('alive'), Type.Literal('deceased')]),
  deathDate: Nullable(Type.String({ format: 'date' })),
  residence: Nullable(
    Type.Object({
      buildingCode: Type.String(),
      apartment: Nullable(Type.Integer()),
      address: Type.String(),
    }),
  ),
  contact: Type.Object({ email: Nullable(Type.String()), phone: Nullable(Type.String()) }),
  spouseCode: Nullable(Type.String()),
  motherCode: Nullable(Type.String()),
  fatherCode: Nullable(Type.String()),
  childrenCodes: Type.Array(Type.String()),
  vitalEvents: Type.Array(
    Type.Object({
      kind: Type.String(),
      date: Type.String({ format: 'date' }),
      otherCode: Nullable(Type.String()),
    }),
  ),
})

export type PersonRecord = Static<typeof PersonRecordSchema>

const COLUMNS = {
  personalCode: 'personal_code',
  firstName: 'first_name',
  lastName: 'last_name',
  birthDate: 'birth_date',
  residenceBuilding: 'residence_building',
  motherCode: 'mother_code',
  fatherCode: 'father_code',
}

export const populationRegistry: RegistryDefinition<PersonRecord> = {
  name: 'population',
  version: '1.0',
  title: 'Population register',
  idField: 'personalCode',
  fields: {
    personalCode: 'personalCode',
    firstName: 'text',
    lastName: 'text',
    birthDate: 'date',
    residenceBuilding: 'code',
    motherCode: 'personalCode',
    fatherCode: 'personalCode',
  },
  defaultSearchField: 'lastName',
  recordSchema: PersonRecordSchema,
  personal: true,
  dataLabel: 'population.person',
  writable: {
    table: 'persons',
    key: 'personal_code',
    fields: {
      contactEmail: { column: 'contact_email', kind: 'email' },
      contactPhone: { column: 'contact_phone', kind: 'phone' },
    },
  },
  async search({ db }, criteria) {
    const base = applyCriteria(db.selectFrom('persons'), criteria, COLUMNS)
    const rows = await base
      .selectAll()
      .orderBy('last_name', criteria.descending ? 'desc' : 'asc')
      .orderBy('first_name', criteria.descending ? 'desc' : 'asc')
      .orderBy('personal_code')
      .limit(criteria.limit)
      .offset(criteria.offset)
      .execute()
    const total = await countMatching(base, criteria, rows.length)
    if (rows.length === 0) return { records: [], total: total }
    const codes = rows.map((row) => row.personal_code)
    const [addresses, children, events] = await Promise.all([
      findAddresses(
        db,
        rows.flatMap((row) => (row.residence_building === null ? [] : [row.residence_building])),
      ),
      // Two index lookups joined, rather than one OR that the planners handle less well.
      db
        .selectFrom('persons')
        .select(['personal_code', 'mother_code', 'father_code', 'birth_date'])
        .where('mother_code', 'in', codes)
        .unionAll(
          db
            .selectFrom('persons')
            .select(['personal_code', 'mother_code', 'father_code', 'birth_date'])
            .where('father_code', 'in', codes),
        )
        .orderBy('birth_date')
        .execute(),
      db
        .selectFrom('vital_events')
        .select(['personal_code', 'kind', 'event_date', 'other_code'])
        .where('personal_code', 'in', codes)
        .orderBy('event_date')
        .execute(),
    ])
    const records = rows.map((row): PersonRecord => {
      const address =
        row.residence_building === null ? undefined : addresses.get(row.residence_building)
      return {
        personalCode: row.personal_code,
        firstName: row.first_name,
        lastName: row.last_name,
        sex: row.sex,
        birthDate: row.birth_date,
        citizenship: row.citizenship,
        nativeLanguage: row.native_language,
        status: row.status,
        deathDate: row.death_date,
        residence:
          address === undefined
            ? null
            : {
                buildingCode: address.buildingCode,
                apartment:
                  row.residence_apartment === null ? null : Number(row.residence_apartment),
                address:
                  row.residence_apartment === null
                    ? address.address
                    : address.address.replace(/^([^,]+)/, `$1-${row.residence_apartment}`),
              },
        contact: { email: row.contact_email, phone: row.contact_phone },
        spouseCode: row.spouse_code,
        motherCode: row.mother_code,
        fatherCode: row.father_code,
        childrenCodes: [
          ...new Set(
            children
              .filter(
                (child) =>
                  child.mother_code === row.personal_code ||
                  child.father_code === row.personal_code,
              )
              .map((child) => child.personal_code),
          ),
        ],
        vitalEvents: events
          .filter((event) => event.personal_code === row.personal_code)
          .map((event) => ({
            kind: event.kind,
            date: event.event_date,
            otherCode: event.other_code,
          })),
      }
    })
    return { records, total: total }
  },
  ownersOf: (record) => [record.personalCode],
  // The record shows relatives' personal codes too: their trackers show the read as well.
  subjectsOf: (record) =>
    [
      record.personalCode,
      record.spouseCode,
      record.motherCode,
      record.fatherCode,
      ...record.childrenCodes,
      ...record.vitalEvents.map((event) => event.otherCode),
    ].filter((code): code is string => code !== null),
}
