/**
 * `e-state ledger audit` recomputes the log from the stored entries and checks every checkpoint,
 * cosignature, access record and registry change against it; exit 1 names what was tampered
 * with. `e-state ledger verify-receipt FILE` checks a receipt offline, against the keys given
 * (or this installation's own).
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import {
  auditLog,
  parseCosignerKey,
  parseCosignerVerifierKey,
  parseSignerKey,
  parseVerifierKey,
  verifyReceipt,
  type AuditFinding,
} from '../ledger/index.ts'
import { MIGRATIONS, readConfig } from '../main/index.ts'
import { auditRecords } from '../registries/index.ts'
import { openStore } from '../storage/index.ts'

const USAGE =
  'usage: e-state ledger audit | verify-receipt FILE [--log-key VKEY] [--witness-key VKEY]... [--quorum N]'

export async function runLedger(args: string[]): Promise<number> {
  const [action, ...rest] = args
  if (action === 'audit') return audit()
  if (action === 'verify-receipt') return verify(rest)
  process.stderr.write(`${USAGE}\n`)
  return 2
}

async function audit(): Promise<number> {
  const config = readConfig()
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate(MIGRATIONS)
    const log = await auditLog(store.admin, {
      log: parseSignerKey(config.ledger.signerKey).verifier,
      witnesses: witnessKeys(config),
    })
    const records = await auditRecords(store.admin)
    const findings: AuditFinding[] = [...log.findings, ...records.findings]
    process.stdout.write(
      `entries ${log.entries}, checkpoints ${log.checkpoints} (${log.published} published), ` +
        `tile hashes ${log.tileHashes}, access records ${records.accessRecords}, ` +
        `registry changes ${records.registryChanges}\n`,
    )
    for (const finding of findings.slice(0, 1000))
      process.stdout.write(`${finding.code} ${finding.at}: ${finding.detail}\n`)
    if (findings.length > 1000) process.stdout.write(`… and ${findings.length - 1000} more\n`)
    process.stdout.write(
      findings.length === 0 ? 'audit passed\n' : `audit FAILED: ${findings.length} findings\n`,
    )
    return findings.length === 0 ? 0 : 1
  } finally {
    await store.close()
  }
}

async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'log-key': { type: 'string' },
      'witness-key': { type: 'string', multiple: true },
      quorum: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  const [file] = positionals
  if (file === undefined || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const { logKey, witnessTexts } = ledgerKeys(values['log-key'], values['witness-key'])
  const quorum = values.quorum === undefined ? undefined : Number(values.quorum)
  if (quorum !== undefined && (!Number.isInteger(quorum) || quorum < 0)) {
    process.stderr.write(`--quorum must be a whole number\n${USAGE}\n`)
    return 2
  }
  let input: unknown
  try {
    input = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    process.stderr.write(
      `e-state ledger verify-receipt: cannot read ${file} as JSON: ${(error as Error).message}\n`,
    )
    return 1
  }
  const verified = verifyReceipt(input, {
    log: parseVerifierKey(logKey),
    witnesses: witnessTexts.map((text) => parseCosignerVerifierKey(text)),
    quorum,
  })
  process.stdout.write(
    `receipt verified: entry ${verified.index} (${verified.kind}) is in ${verified.origin} at size ${verified.size}, ` +
      `cosigned by ${verified.cosignedBy.map((c) => c.name).join(', ') || 'no witness'}` +
      `${verified.opened ? '; the opening matches the entry' : ''}\n`,
  )
  return 0
}

/** The ledger's keys to check receipts with: those given, else this installation's own. */
export function ledgerKeys(
  logKey: string | undefined,
  witnessTexts: string[] | undefined,
): { logKey: string; witnessTexts: string[] } {
  if (logKey !== undefined && witnessTexts !== undefined) return { logKey, witnessTexts }
  // This installation's own keys (public halves only).
  const config = readConfig()
  return {
    logKey: logKey ?? parseSignerKey(config.ledger.signerKey).verifier.text,
    witnessTexts: witnessTexts ?? witnessKeys(config).map((key) => key.text),
  }
}

function witnessKeys(config: ReturnType<typeof readConfig>) {
  return [
    ...(config.witness.key === undefined ? [] : [parseCosignerKey(config.witness.key).verifier]),
    ...config.witness.remote.map((remote) => parseCosignerVerifierKey(remote.verifierKey)),
  ]
}
