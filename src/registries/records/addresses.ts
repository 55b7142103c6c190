/** The address register: buildings with their full address (street, settlement, municipality, county). */
import { Type, type Static } from 'typebox'
import type { Kysely } from 'kysely'
import type { Schema } from '../../storage/index.ts'
import type { RegistryDefinition } from './registry-definition.ts'
import { applyCriteria, countMatching } from './search-query.ts'

export const AddressRecordSchema = Type.Object({
  buildingCode: Type.String(),
  address: Type.String({ description: 'Full address as written on letters' }),
  street: Type.Union([Type.String(), Type.Null()]),
  houseNumber: Type.String(),
  settlementCode: Type.String(),
  settlement: Type.String(),
  municipalityCode: Type.String(),
  municipality: Type.String(),
  county: Type.String(),
  postalCode: Type.String(),
  dwellings: Type.Integer(),
})

export type AddressRecord = Static<typeof AddressRecordSchema>

const COLUMNS = {
  buildingCode: 'buildings.code',
  postalCode: 'buildings.postal_code',
  settlementCode: 'buildings.settlement_code',
  municipalityCode: 'settlements.municipality_code',
  street: 'streets.name',
}

function addressQuery(db: Kysely<Schema>) {
  return db
    .selectFrom('buildings')
    .innerJoin('settlements', 'settlements.code', 'buildings.settlement_code')
    .innerJoin('municipalities', 'municipalities.code', 'settlements.municipality_code')
    .innerJoin('counties', 'counties.code', 'municipalities.county_code')
    .leftJoin('streets', 'streets.code', 'buildings.street_code')
    .select([
      'buildings.code as buildingCode',
      'buildings.house_number as houseNumber',
      'buildings.postal_code as postalCode',
      'buildings.dwellings as dwellings',
      'streets.name as street',
      'settlements.code as settlementCode',
      'settlements.name as settlement',
      'municipalities.code as municipalityCode',
      'municipalities.name as municipality',
      'counties.name as county',
    ])
}

type AddressRow = Awaited<ReturnType<ReturnType<typeof addressQuery>['execute']>>[number]

function toRecord(row: AddressRow): AddressRecord {
  const place = row.street === null ? row.houseNumber : `${row.street} ${row.houseNumber}`
  const settlement = row.settlement === row.municipality ? '' : `${row.settlement}, `
  return {
    ...row,
    dwellings: Number(row.dwellings),
    address: `${place}, ${settlement}${row.municipality}, ${row.county} maakond, ${row.postalCode}`,
  }
}

/** Full addresses of several buildings at once (for population and business records). */
export async function findAddresses(
  db: Kysely<Schema>,
  codes: readonly string[],
): Promise<Map<string, AddressRecord>> {
  if (codes.length === 0) return new Map()
  const rows = await addressQuery(db)
    .where('buildings.code', 'in', [...new Set(codes)])
    .execute()
  return new Map(rows.map((row) => [row.buildingCode, toRecord(row)]))
}

export const addressRegistry: RegistryDefinition<AddressRecord> = {
  name: 'addresses',
  version: '1.0',
  title: 'Address register',
  idField: 'buildingCode',
  fields: {
    buildingCode: 'code',
    postalCode: 'code',
    settlementCode: 'code',
    municipalityCode: 'code',
    street: 'text',
  },
  defaultSearchField: 'street',
  recordSchema: AddressRecordSchema,
  personal: false,
  dataLabel: 'addresses.building',
  async search({ db }, criteria) {
    const filtered = applyCriteria(addressQuery(db), criteria, COLUMNS)
    const rows = await filtered
      .orderBy('buildings.code', criteria.descending ? 'desc' : 'asc')
      .limit(criteria.limit)
      .offset(criteria.offset)
      .execute()
    const matching = applyCriteria(
      db
        .selectFrom('buildings')
        .innerJoin('settlements', 'settlements.code', 'buildings.settlement_code')
        .leftJoin('streets', 'streets.code', 'buildings.street_code'),
      criteria,
      COLUMNS,
    )
    const total = await countMatching(matching, criteria, rows.length)
    return { records: rows.map(toRecord), total }
  },
  subjectsOf: () => [],
}
