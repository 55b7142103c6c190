/**
 * The `e-state` command. Each subcommand is a small function over the composition root; exit
 * codes: 0 done, 1 failed, 2 bad usage.
 */
import { parseArgs } from 'node:util'
import { EStateError } from '../shared/index.ts'

// Each command's module is imported only when that command runs: `e-state --help` or a
// command that needs no store does not pay for loading the whole platform.

export interface Command {
  readonly summary: string
  readonly usage: string
  run(args: string[]): Promise<number>
}

const COMMANDS: Readonly<Record<string, Command>> = {
  start: {
    summary: 'Start the platform (seeds the default country on first start)',
    usage: 'e-state start',
    run: (args) => import('./start-command.ts').then((command) => command.runStart(args)),
  },
  seed: {
    summary: 'Build a synthetic country deterministically',
    usage: 'e-state seed [--population N] [--seed S] [--replace]',
    run: (args) => import('./seed-command.ts').then((command) => command.runSeed(args)),
  },
  migrate: {
    summary: 'Bring the store to the latest schema',
    usage: 'e-state migrate',
    run: (args) => import('./migrate-command.ts').then((command) => command.runMigrate(args)),
  },
  keys: {
    summary: 'Show and rotate encryption keys (data keys, master key) without downtime',
    usage:
      'e-state keys status | rotate-data-key AGENCY | rotate-master (--new-key-file FILE | --out FILE) | new-master --out FILE',
    run: (args) => import('./keys-command.ts').then((command) => command.runKeys(args)),
  },
  ca: {
    summary: 'The state PKI: a key ceremony (init), importing a hierarchy, its status',
    usage: 'e-state ca init --out DIR [--organization NAME] | import DIR | status',
    run: (args) => import('./ca-command.ts').then((command) => command.runCa(args)),
  },
  eid: {
    summary:
      "e-ID: issue for keys on a PKCS#11 token or into a PIN-protected software token; a holder's status; suspend, resume, revoke; suspend a batch",
    usage:
      'e-state eid issue PERSONAL_CODE --clerk CODE --pkcs11 LIB --token LABEL --auth-key LABEL --sign-key LABEL --out-dir DIR | token create PERSONAL_CODE --clerk CODE --out FILE | token status FILE | status PERSONAL_CODE | suspend|resume|revoke SERIAL | suspend-batch (--batch NAME | --key-type T) --why TEXT',
    run: (args) => import('./eid-command.ts').then((command) => command.runEid(args)),
  },
  site: {
    summary:
      'Two sites on PostgreSQL: set up the primary and the embassy, status, promote the embassy (fencing the old primary), degrade or restore synchronous replication; automatic promotion with an arbiter at a third location (arbiter-init, arbiter, watch)',
    usage:
      'e-state site init-primary --dir DIR --host NAME --port N --embassy-host NAME --embassy-tls-out DIR [--listen ADDR] [--state-pki] | init-embassy --dir DIR --host NAME --port N --primary-host NAME --primary-port N --tls DIR [--primary-address IP] [--listen ADDR] | status --dir DIR | promote --dir DIR [--force [--primary-dir DIR | --primary-url URL]] | degrade --dir DIR --reason TEXT [--by NAME] | restore-sync --dir DIR [--by NAME] | start|stop --dir DIR | arbiter-init --dir DIR --host ADDR --port N --primary-host NAME --primary-port N [--primary-address IP] [--primary-ca FILE] [--probe-user NAME] [--grace-s S] [--tls-cert FILE --tls-key FILE] | arbiter --dir DIR | watch --dir DIR [--arbiter URL --arbiter-secret FILE [--arbiter-ca FILE]] [--grace-s S]',
    run: (args) => import('./site-command.ts').then((command) => command.runSite(args)),
  },
  backup: {
    summary:
      'Encrypted backups of the whole state (SQLite or PostgreSQL), sealed by the master key: create, list, verify, restore',
    usage:
      'e-state backup create [--out DIR] | list [--dir DIR] | verify FILE | restore FILE --to (SQLITE_FILE | postgres://…) [--replace]',
    run: (args) => import('./backup-command.ts').then((command) => command.runBackup(args)),
  },
  drill: {
    summary:
      'Failover drill on loopback PostgreSQL: acknowledged acts lost must be 0 and the asynchronous control must lose (exit 0 only then)',
    usage: 'e-state drill failover [--runs N] [--writers N] [--write-ms MS] [--no-control]',
    run: (args) => import('./drill-command.ts').then((command) => command.runDrill(args)),
  },
  ledger: {
    summary: 'Audit the integrity ledger; verify a receipt offline',
    usage:
      'e-state ledger audit | e-state ledger verify-receipt FILE [--log-key VKEY] [--witness-key VKEY]... [--quorum N]',
    run: (args) => import('./ledger-command.ts').then((command) => command.runLedger(args)),
  },
  oidc: {
    summary: 'Register applications that log people in with e-ID (OpenID Connect clients)',
    usage: 'e-state oidc clients add CLIENT_ID --redirect-uri URI… [--name NAME] | clients list',
    run: (args) => import('./oidc-command.ts').then((command) => command.runOidc(args)),
  },
  sign: {
    summary: 'Sign documents into an ASiC-E container, or add a signature to one (XAdES B-LT)',
    usage:
      'e-state sign FILE... --out X.asice | --add-to X.asice  (--token FILE | --pkcs11 LIB --token-label L --key LABEL --certificate FILE) [--pin-file F] [--profile B|T|LT] [--role TEXT] [--service URL]',
    run: (args) => import('./signature-command.ts').then((command) => command.runSign(args)),
  },
  validate: {
    summary: 'Validate an ASiC-E container (exit 0 all signatures valid, 1 not, 2 refused)',
    usage: 'e-state validate X.asice [--json] [--at TIME] [--trust PATH]',
    run: (args) => import('./signature-command.ts').then((command) => command.runValidate(args)),
  },
  exchange: {
    summary:
      'The exchange on this node: access rights, groups, gateways and member certificates, the anchor, evidence of a message',
    usage:
      'e-state exchange rights list [--service S] | rights allow|deny SERVICE CLIENT [--method M] [--path P] | groups add|remove GROUP SUBSYSTEM | gateways list | gateways add ID --member M --address URL --tls-certificate FILE --serves M1,M2 | member-certificates add MEMBER FILE | anchor [--out FILE] | evidence LOG_ID [--out FILE] | verify-evidence FILE [--ca FILE]... [--log-key VKEY] [--witness-key VKEY]...',
    run: (args) => import('./exchange-command.ts').then((command) => command.runExchange(args)),
  },
  gateway: {
    summary: "Run a standalone exchange gateway (an agency's security server) for its members",
    usage:
      'e-state gateway --member INSTANCE/CLASS/MEMBER --config gateway.json | gateway evidence LOG_ID --member M --config gateway.json [--out FILE]',
    run: (args) => import('./gateway-command.ts').then((command) => command.runGateway(args)),
  },
  demo: {
    summary:
      "Watch a service work: run a module's main flow against a running development node (without NAME: the list)",
    usage: 'e-state demo [NAME] [--url URL] [options of the walkthrough]',
    run: (args) => import('./demo-command.ts').then((command) => command.runDemo(args)),
  },
  agencies: {
    summary: 'List the agencies (exchange members); issue a member API key',
    usage: 'e-state agencies [list] | e-state agencies credential MEMBER_ID',
    run: (args) => import('./agencies-command.ts').then((command) => command.runAgencies(args)),
  },
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await fullHelp())
    return name === undefined ? 2 : 0
  }
  if (name === '--version') {
    process.stdout.write('e-state 0.1.0\n')
    return 0
  }
  const command = Object.hasOwn(COMMANDS, name)
    ? COMMANDS[name]
    : (await moduleCommands()).get(name)
  if (command === undefined) {
    process.stderr.write(`e-state: unknown command "${name}"\n\n${await fullHelp()}`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\n\nusage: ${command.usage}\n`)
    return 0
  }
  try {
    return await command.run(rest)
  } catch (error) {
    if (error instanceof EStateError) {
      process.stderr.write(`e-state ${name}: ${error.message} [${error.code}]\n`)
      return 1
    }
    if (
      error instanceof TypeError &&
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`e-state ${name}: ${error.message}\nusage: ${command.usage}\n`)
      return 2
    }
    throw error
  }
}

/** The whole help: the platform's and the modules' commands, and the modules' variables. */
async function fullHelp(): Promise<string> {
  const { MODULES } = await import('../main/index.ts')
  return helpText(
    await moduleCommands(),
    MODULES.flatMap((module) =>
      module.configVariables.map((variable) => ({ module: module.name, ...variable })),
    ),
  )
}

/**
 * The commands the modules declare (`commands` in their module), loaded only when a name is
 * not one of the platform's own: the common commands do not pay for loading every module.
 */
async function moduleCommands(): Promise<ReadonlyMap<string, Command>> {
  const { MODULES } = await import('../main/index.ts')
  const commands = new Map<string, Command>()
  for (const module of MODULES)
    for (const command of module.commands)
      commands.set(command.name, {
        summary: command.summary,
        usage: `e-state ${command.name} …`,
        run: (args) => command.run(args),
      })
  return commands
}

/** A module's configuration variable, as `e-state --help` lists it. */
export interface HelpVariable {
  readonly module: string
  readonly name: string
  readonly description: string
  readonly default?: string
  readonly secret?: boolean
}

export function helpText(
  modules: ReadonlyMap<string, Command>,
  variables: readonly HelpVariable[] = [],
): string {
  const all = { ...COMMANDS, ...Object.fromEntries(modules) }
  const width = Math.max(...Object.keys(all).map((name) => name.length))
  const lines = Object.entries(all).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  )
  // A secret's default is never shown (it would be a development key).
  const settings = variables.map(
    (variable) =>
      `  ${variable.name}  ${variable.description} (${variable.module}${
        variable.secret === true
          ? '; secret'
          : variable.default === undefined
            ? ''
            : `; default ${variable.default}`
      })`,
  )
  return (
    `e-state: a small country in the cloud\n\nusage: e-state <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n` +
    (settings.length === 0
      ? ''
      : `the modules' settings (environment):\n${settings.join('\n')}\n\n`) +
    'Run "e-state <command> --help" for a command\'s options. Configuration comes from the environment (see README).\n'
  )
}

export { parseArgs }
