#!/usr/bin/env node
// Plain JavaScript on purpose: it must parse under any Node, so that an old Node gets a clear
// message instead of a syntax error from the TypeScript sources.
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(
    `e-state needs Node.js 24 or newer; this is Node ${process.versions.node}.\n` +
      'Run it through npm (npm start, npx e-state) so the project-pinned Node 24 is used.\n',
  )
  process.exit(1)
}
const { runCli } = await import('../src/cli/main.ts')
process.exitCode = await runCli(process.argv.slice(2))
