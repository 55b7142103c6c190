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
// Node keeps the compiled (and type-stripped) modules on disk, so the next command starts in
// about two thirds of the time. The cache sits inside the installation (node_modules/.cache),
// not in a temp folder other users could write to; NODE_COMPILE_CACHE says elsewhere, and
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. A cache that cannot be made changes nothing.
const { enableCompileCache } = await import('node:module')
const { fileURLToPath } = await import('node:url')
enableCompileCache?.(
  process.env.NODE_COMPILE_CACHE ??
    fileURLToPath(new URL('../node_modules/.cache/e-state/compile', import.meta.url)),
)
const { runCli } = await import('../src/cli/main.ts')
process.exitCode = await runCli(process.argv.slice(2))
