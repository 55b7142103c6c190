// A throwaway SoftHSM2 token with EC key pairs made inside it, for the PKCS#11 tests.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so'

/** Initialises a token in `directory`; sets SOFTHSM2_CONF for this process; returns its env. */
export function softHsmToken(
  directory: string,
  label: string,
  keys: readonly { label: string; curve: 'secp384r1' | 'prime256v1' }[],
  pin = '1234',
): Record<string, string> {
  mkdirSync(join(directory, 'tokens'), { recursive: true })
  writeFileSync(
    join(directory, 'softhsm2.conf'),
    `directories.tokendir = ${join(directory, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  )
  const env = { SOFTHSM2_CONF: join(directory, 'softhsm2.conf') }
  process.env.SOFTHSM2_CONF = env.SOFTHSM2_CONF
  const options = { env: { ...process.env, ...env }, stdio: 'pipe' as const }
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '56785678'],
    options,
  )
  for (const key of keys) {
    execFileSync(
      'pkcs11-tool',
      [
        '--module',
        SOFTHSM,
        '--token-label',
        label,
        '--login',
        '--pin',
        pin,
        '--keypairgen',
        '--key-type',
        `EC:${key.curve}`,
        '--label',
        key.label,
      ],
      options,
    )
  }
  return env
}
