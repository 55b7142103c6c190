// Lint: typescript-eslint's recommended rules plus one local rule, `e-state/context-boundaries`,
// which keeps ARCHITECTURE.md's map true: another context is imported only through its
// `index.ts` (or `browser.ts`, its browser-safe part, or `worker.ts`, its part for worker threads),
// and a lower row never imports a higher one.
import { dirname, relative, resolve, sep } from 'node:path'
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const ROWS = [
  ['shared'],
  ['platform'],
  ['storage', 'crypto'],
  ['trust', 'ledger'],
  ['identity', 'signature', 'cloud'],
  ['exchange', 'tracker', 'registries'],
  ['services', 'voting', 'stats'],
  ['cli', 'portal', 'main'],
]
const rowOf = new Map(ROWS.flatMap((contexts, row) => contexts.map((context) => [context, row])))
const SOURCE = resolve('src')

function contextOf(file) {
  const path = relative(SOURCE, file)
  if (path.startsWith('..')) return undefined
  const [first, second] = path.split(sep)
  return first === 'services' && second !== undefined
    ? { name: 'services', folder: `services/${second}` }
    : { name: first, folder: first }
}

const contextBoundaries = {
  meta: { type: 'problem', messages: { deep: '{{message}}', upward: '{{message}}' }, schema: [] },
  create(context) {
    const importer = contextOf(context.filename)
    const check = (node) => {
      const specifier = node.source?.value
      if (importer === undefined || typeof specifier !== 'string' || !specifier.startsWith('.'))
        return
      const target = resolve(dirname(context.filename), specifier)
      const imported = contextOf(target)
      if (imported === undefined || imported.folder === importer.folder) return
      // `browser.ts` is a context's second public entry: the part that runs in a browser;
      // `worker.ts` a third: the part a worker thread loads, without the server modules.
      const entry = relative(resolve(SOURCE, imported.folder), target)
      if (entry !== 'index.ts' && entry !== 'browser.ts' && entry !== 'worker.ts') {
        context.report({
          node,
          messageId: 'deep',
          data: { message: `import ${imported.folder} through its index.ts, not ${specifier}` },
        })
      }
      const from = rowOf.get(importer.name)
      const to = rowOf.get(imported.name)
      if (from !== undefined && to !== undefined && to > from) {
        context.report({
          node,
          messageId: 'upward',
          data: {
            message: `${importer.folder} (row ${from}) must not import ${imported.folder} (row ${to}): see ARCHITECTURE.md §3`,
          },
        })
      }
    }
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    }
  },
}

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'keys/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'e-state': { rules: { 'context-boundaries': contextBoundaries } } },
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        performance: 'readonly',
        setImmediate: 'readonly',
        setTimeout: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      'e-state/context-boundaries': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSEnumDeclaration',
          message: 'use an `as const` object: enums are not erasable TypeScript',
        },
        {
          selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']",
          message: 'no process.exit in library code; return an exit code',
        },
      ],
    },
  },
  {
    files: ['bin/**', 'src/cli/start-command.ts', 'bench/**', 'test/support/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
)
