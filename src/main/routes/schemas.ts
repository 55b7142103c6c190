import { Type } from 'typebox'

/** RFC 9457 problem details, with e-state's stable `code`. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable error code, e.g. INVALID_PERSONAL_CODE' }),
    detail: Type.String(),
    instance: Type.String(),
    field: Type.Optional(Type.String({ description: 'The input that was wrong' })),
  },
  { additionalProperties: true },
)
