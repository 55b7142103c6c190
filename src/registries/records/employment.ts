/**
 * The employment register: contracts, and monthly pay with withheld income tax as employers
 * declare it (e-Tax pre-fills returns from these). Pay is confidential: stored envelope-encrypted
 * under the keeper's data key, decrypted only here, for a read that went through the gate.
 */
import { Type, type Static } from 'typebox'
import { incomeContext } from '../country/tables.ts'
import type { RegistryDefinition } from './registry-definition.ts'
import { countMatching } from './search-query.ts'

const Month = Type.Object({
  month: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$' }),
  grossCents: Type.Integer(),
  incomeTaxCents: Type.Integer(),
})

export const EmploymentRecordSchema = Type.Object({
  personalCode: Type.String(),
  employments: Type.Array(
    Type.Object({
      employerCode: Type.String(),
      employerName: Type.Union([Type.String(), Type.Null()]),
      position: Type.String(),
      startedOn: Type.String({ format: 'date' }),
      endedOn: Type.Union([Type.String({ format: 'date' }), Type.Null()]),
    }),
  ),
  incomes: Type.Array(
    Type.Object({ employerCode: Type.String(), year: Type.Integer(), months: Type.Array(Month) }),
  ),
})

export type EmploymentRecord = Static<typeof EmploymentRecordSchema>

export const employmentRegistry: RegistryDefinition<EmploymentRecord> = {
  name: 'employment',
  version: '1.0',
  title: 'Employment register',
  idField: 'personalCode',
  fields: { personalCode: 'personalCode', employerCode: 'registryCode' },
  defaultSearchField: 'personalCode',
  recordSchema: EmploymentRecordSchema,
  personal: true,
  dataLabel: 'employment.contracts-and-pay',
  async search({ db, envelope }, criteria) {
    let people = db.selectFrom('employments').select('personal_code').distinct()
    if (criteria.equals.personalCode !== undefined)
      people = people.where('personal_code', '=', criteria.equals.personalCode)
    if (criteria.equals.employerCode !== undefined)
      people = people.where('employer_code', '=', criteria.equals.employerCode)
    if (criteria.prefix !== undefined) {
      const column = criteria.prefix.field === 'employerCode' ? 'employer_code' : 'personal_code'
      people = people
        .where(column, '>=', criteria.prefix.value)
        .where(column, '<', criteria.prefix.value + '\uffff')
    }
    const codes = (
      await people
        .orderBy('personal_code', criteria.descending ? 'desc' : 'asc')
        .limit(criteria.limit)
        .offset(criteria.offset)
        .execute()
    ).map((row) => row.personal_code)
    const total = await countMatching(db.selectFrom(people.as('matching')), criteria, codes.length)
    if (codes.length === 0) return { records: [], total }
    const [contracts, incomes] = await Promise.all([
      db
        .selectFrom('employments')
        .leftJoin('companies', 'companies.registry_code', 'employments.employer_code')
        .leftJoin('agencies', 'agencies.registry_code', 'employments.employer_code')
        .select([
          'employments.personal_code',
          'employments.employer_code',
          'employments.position',
          'employments.started_on',
          'employments.ended_on',
          'companies.name as company_name',
          'agencies.name as agency_name',
        ])
        .where('employments.personal_code', 'in', codes)
        .orderBy('employments.started_on')
        .execute(),
      db
        .selectFrom('incomes')
        .selectAll()
        .where('personal_code', 'in', codes)
        .orderBy('year')
        .orderBy('employer_code')
        .execute(),
    ])
    const records = codes.map((code): EmploymentRecord => ({
      personalCode: code,
      employments: contracts
        .filter((contract) => contract.personal_code === code)
        .map((contract) => ({
          employerCode: contract.employer_code,
          employerName: contract.company_name ?? contract.agency_name ?? null,
          position: contract.position,
          startedOn: contract.started_on,
          endedOn: contract.ended_on,
        })),
      incomes: incomes
        .filter((income) => income.personal_code === code)
        .map((income) => {
          const year = Number(income.year)
          const plain = envelope.decryptText(
            income.months,
            incomeContext(code, income.employer_code, year),
          )
          const months = (JSON.parse(plain) as Array<[number, number] | null>).flatMap(
            (entry, index) =>
              entry === null
                ? []
                : [
                    {
                      month: `${year}-${String(index + 1).padStart(2, '0')}`,
                      grossCents: entry[0],
                      incomeTaxCents: entry[1],
                    },
                  ],
          )
          return { employerCode: income.employer_code, year, months }
        }),
    }))
    return { records, total }
  },
  subjectsOf: (record) => [record.personalCode],
}
