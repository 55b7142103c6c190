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

/** The exchange headers a member's call carries (X-Road / GovStack Information Mediator). */
export const CLIENT_HEADER = Type.Object({
  'information-mediator-client': Type.Optional(
    Type.String({ description: 'INSTANCE/CLASS/MEMBER/SUBSYSTEM (or send X-Road-Client)' }),
  ),
  'x-road-userid': Type.Optional(
    Type.String({ description: 'The acting person: EE + personal code' }),
  ),
  'x-road-issue': Type.Optional(
    Type.String({ description: 'Purpose: legal basis or case reference', maxLength: 500 }),
  ),
})

export const ERRORS = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  503: ProblemSchema,
}
