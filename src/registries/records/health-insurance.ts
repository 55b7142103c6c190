/** The health-insurance register: whether a person is insured, on what basis, until when (confidential). */
import { Type, type Static } from 'typebox'
import { coverageContext } from '../country/tables.ts'
import type { RegistryDefinition } from './registry-definition.ts'
import { countMatching } from './search-query.ts'

const NullableDate = Type.Union([Type.String({ format: 'date' }), Type.Null()])

export const CoverageRecordSchema = Type.Object({
  personalCode: Type.String(),
  insured: Type.Boolean(),
  basis: Type.Union([Type.String(), Type.Null()]),
  validFrom: NullableDate,
  validUntil: NullableDate,
})

export type CoverageRecord = Static<typeof CoverageRecordSchema>

export const healthInsuranceRegistry: RegistryDefinition<CoverageRecord> = {
  name: 'health-insurance',
  version: '1.0',
  title: 'Health insurance register',
  idField: 'personalCode',
  fields: { personalCode: 'personalCode' },
  defaultSearchField: 'personalCode',
  recordSchema: CoverageRecordSchema,
  personal: true,
  dataLabel: 'health-insurance.coverage',
  async search({ db, envelope }, criteria) {
    let query = db.selectFrom('health_insurance')
    if (criteria.equals.personalCode !== undefined)
      query = query.where('personal_code', '=', criteria.equals.personalCode)
    if (criteria.prefix !== undefined) {
      query = query
        .where('personal_code', '>=', criteria.prefix.value)
        .where('personal_code', '<', criteria.prefix.value + '\uffff')
    }
    const rows = await query
      .selectAll()
      .orderBy('personal_code', criteria.descending ? 'desc' : 'asc')
      .limit(criteria.limit)
      .offset(criteria.offset)
      .execute()
    const total = await countMatching(query, criteria, rows.length)
    const records = rows.map((row): CoverageRecord => {
      const coverage = JSON.parse(
        envelope.decryptText(row.coverage, coverageContext(row.personal_code)),
      ) as Omit<CoverageRecord, 'personalCode'>
      return { personalCode: row.personal_code, ...coverage }
    })
    return { records, total: total }
  },
  subjectsOf: (record) => [record.personalCode],
}
