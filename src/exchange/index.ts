export {
  issueMemberCredential,
  verifyMemberCredential,
  revokeMemberCredential,
  MemberAuthError,
  type MemberAuthErrorCode,
} from './member-credentials.ts'
