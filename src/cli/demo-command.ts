/**
 * `e-state demo [NAME] [--url URL] …`: runs a module's walkthrough (its main flow, as a client)
 * against a running node, saying each step, so a newcomer can watch a service work. The node is
 * the one `npm start` runs unless `--url` (or E_STATE_PUBLIC_URL) names another; the
 * walkthroughs use the development desk, so a production node refuses them.
 */
import { MODULES, publicUrl } from '../main/index.ts'

export async function runDemo(args: string[]): Promise<number> {
  const walkthroughs = MODULES.flatMap((module) =>
    module.walkthroughs.map((walkthrough) => ({ module: module.name, ...walkthrough })),
  )
  const [name, ...rest] = args
  if (name === undefined || name.startsWith('-')) {
    const width = Math.max(...walkthroughs.map((walkthrough) => walkthrough.name.length))
    process.stdout.write(
      `usage: e-state demo NAME [--url URL]\n\nwalkthroughs:\n${walkthroughs
        .map((walkthrough) => `  ${walkthrough.name.padEnd(width)}  ${walkthrough.summary}`)
        .join('\n')}\n`,
    )
    return name === undefined ? 0 : 2
  }
  const chosen = walkthroughs.find((walkthrough) => walkthrough.name === name)
  if (chosen === undefined) {
    process.stderr.write(
      `e-state demo: no walkthrough "${name}"; there are: ${walkthroughs.map((walkthrough) => walkthrough.name).join(', ')}\n`,
    )
    return 2
  }
  const { url, others } = takeUrl(rest)
  process.stdout.write(`${chosen.summary} (${chosen.module}), against ${url}\n\n`)
  try {
    await chosen.run({ url, args: others, say: (line) => process.stdout.write(`${line}\n`) })
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    const hint = /fetch failed|ECONNREFUSED/.test(why + String((error as Error).cause))
      ? ` (is the node running? start it with "npm start", or name it with --url)`
      : ''
    process.stderr.write(`e-state demo ${name}: ${why}${hint}\n`)
    return 1
  }
  return 0
}

/** `--url URL` (or `--url=URL`) out of the arguments; the default is this node's public address. */
function takeUrl(args: readonly string[]): { url: string; others: string[] } {
  const others: string[] = []
  let url: string | undefined
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--url') url = args[++i]
    else if (args[i].startsWith('--url=')) url = args[i].slice('--url='.length)
    else others.push(args[i])
  }
  return { url: (url ?? publicUrl(process.env)).replace(/\/+$/, ''), others }
}
