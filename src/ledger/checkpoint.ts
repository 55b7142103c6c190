/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the body of a signed note,
 * `<origin>\n<tree size>\n<base64 root hash>\n` followed by optional extension lines.
 */
import { LedgerError } from './errors.ts'

export interface Checkpoint {
  readonly origin: string
  readonly size: number
  readonly rootHash: Buffer
  readonly extensions: readonly string[]
}

export function formatCheckpoint(
  checkpoint: Omit<Checkpoint, 'extensions'> & { extensions?: readonly string[] },
): string {
  if (
    checkpoint.origin === '' ||
    /\s/.test(checkpoint.origin.replace(/ /g, '')) ||
    checkpoint.rootHash.length !== 32
  ) {
    throw new LedgerError(
      'LEDGER_MALFORMED_CHECKPOINT',
      'a checkpoint needs an origin line and a 32-byte root hash',
    )
  }
  const extensions = (checkpoint.extensions ?? []).map((line) => `${line}\n`).join('')
  return `${checkpoint.origin}\n${checkpoint.size}\n${checkpoint.rootHash.toString('base64')}\n${extensions}`
}

export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n')
  const [origin, sizeText, rootText] = lines
  const malformed = (why: string): never => {
    throw new LedgerError('LEDGER_MALFORMED_CHECKPOINT', `malformed checkpoint: ${why}`)
  }
  if (lines.length < 4 || lines[lines.length - 1] !== '')
    malformed('it needs three lines, each ending in a newline')
  if (origin === '') malformed('empty origin')
  if (!/^(0|[1-9][0-9]{0,18})$/.test(sizeText)) malformed('the size is not a decimal number')
  const size = Number(sizeText)
  if (!Number.isSafeInteger(size)) malformed('the size is too large')
  const rootHash = Buffer.from(rootText, 'base64')
  if (rootHash.length !== 32 || rootHash.toString('base64') !== rootText)
    malformed('the root hash is not 32 bytes of base64')
  return { origin, size, rootHash, extensions: lines.slice(3, -1) }
}
