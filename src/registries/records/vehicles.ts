/** The vehicle register: vehicles with owner and user, inspection and insurance; driving licences. */
import { Type, type Static } from 'typebox'
import type { RegistryDefinition } from './registry-definition.ts'
import { applyCriteria, countMatching } from './search-query.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()])

export const DrivingLicenceSchema = Type.Object({
  licenceNumber: Type.String(),
  categories: Type.Array(Type.String()),
  issuedOn: Type.String({ format: 'date' }),
  validUntil: Type.String({ format: 'date' }),
  status: Type.String(),
})

export const VehicleRecordSchema = Type.Object({
  plate: Type.String(),
  vin: Type.String(),
  make: Type.String(),
  model: Type.String(),
  category: Type.String(),
  firstRegistered: Type.String({ format: 'date' }),
  owner: Type.Object({
    kind: Type.Union([Type.Literal('person'), Type.Literal('company')]),
    code: Type.String(),
  }),
  userCode: Nullable(Type.String()),
  inspectionValidUntil: Nullable(Type.String({ format: 'date' })),
  insuranceValidUntil: Nullable(Type.String({ format: 'date' })),
  status: Type.String(),
  /** The user's driving licence, when the user is a person. */
  userLicence: Nullable(DrivingLicenceSchema),
})

export type VehicleRecord = Static<typeof VehicleRecordSchema>

const COLUMNS = {
  plate: 'plate',
  vin: 'vin',
  ownerCode: 'owner_code',
  userCode: 'user_code',
  make: 'make',
}

export const vehicleRegistry: RegistryDefinition<VehicleRecord> = {
  name: 'vehicles',
  version: '1.0',
  title: 'Vehicle register',
  idField: 'plate',
  fields: { plate: 'text', vin: 'text', ownerCode: 'code', userCode: 'personalCode', make: 'text' },
  defaultSearchField: 'plate',
  recordSchema: VehicleRecordSchema,
  personal: true,
  dataLabel: 'vehicles.vehicle',
  writable: {
    table: 'vehicles',
    key: 'plate',
    fields: {
      inspectionValidUntil: { column: 'inspection_valid_until', kind: 'date' },
      insuranceValidUntil: { column: 'insurance_valid_until', kind: 'date' },
      userCode: { column: 'user_code', kind: 'personalCode' },
    },
  },
  async search({ db }, criteria) {
    const base = applyCriteria(db.selectFrom('vehicles'), criteria, COLUMNS)
    const rows = await base
      .selectAll()
      .orderBy('plate', criteria.descending ? 'desc' : 'asc')
      .limit(criteria.limit)
      .offset(criteria.offset)
      .execute()
    const total = await countMatching(base, criteria, rows.length)
    const users = rows.flatMap((row) => (row.user_code === null ? [] : [row.user_code]))
    const licences =
      users.length === 0
        ? []
        : await db
            .selectFrom('driving_licences')
            .selectAll()
            .where('personal_code', 'in', users)
            .orderBy('issued_on', 'desc')
            .execute()
    const records = rows.map((row): VehicleRecord => {
      const licence = licences.find((candidate) => candidate.personal_code === row.user_code)
      return {
        plate: row.plate,
        vin: row.vin,
        make: row.make,
        model: row.model,
        category: row.category,
        firstRegistered: row.first_registered,
        owner: { kind: row.owner_kind, code: row.owner_code },
        userCode: row.user_code,
        inspectionValidUntil: row.inspection_valid_until,
        insuranceValidUntil: row.insurance_valid_until,
        status: row.status,
        userLicence:
          licence === undefined
            ? null
            : {
                licenceNumber: licence.licence_number,
                categories: licence.categories.split(','),
                issuedOn: licence.issued_on,
                validUntil: licence.valid_until,
                status: licence.status,
              },
      }
    })
    return { records, total: total }
  },
  subjectsOf: (record) => [
    ...new Set([
      ...(record.owner.kind === 'person' ? [record.owner.code] : []),
      ...(record.userCode === null ? [] : [record.userCode]),
    ]),
  ],
}
