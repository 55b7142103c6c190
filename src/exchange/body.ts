/**
 * Message bodies between gateways, never held whole in memory when they are large.
 *
 * A gateway must check a signature over a body's digest before it hands the body on (the
 * provider's backend must never see an unchecked request; the client must never see an
 * unchecked response), so each hop reads the body once, hashing it as it arrives, and keeps
 * it in memory up to `memoryBytes` or spools it to a private temporary file beyond — what
 * X-Road's security server does with its caching stream. The body then flows on from the
 * spool as a stream. Small bodies (every registry answer) stay plain Buffers.
 */
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/** A body too large for memory, in a temporary file only this process reads. */
export class SpooledBody {
  readonly path: string
  readonly length: number
  /** SHA-256 of the whole body, computed as it arrived. */
  readonly digest: Buffer
  #disposed = false

  constructor(path: string, length: number, digest: Buffer) {
    this.path = path
    this.length = length
    this.digest = digest
  }

  stream(): Readable {
    return createReadStream(this.path)
  }

  /** Removes the file; later reads fail. Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    rmSync(this.path, { force: true })
  }
}

export type Body = Buffer | SpooledBody

export class BodyTooLarge extends Error {
  readonly limit: number
  constructor(limit: number) {
    super(`the body is larger than ${limit} bytes`)
    this.limit = limit
  }
}

let spoolDir: string | undefined
function spoolFolder(): string {
  // One private (0700) folder per process, under the system's temporary folder.
  spoolDir ??= mkdtempSync(join(tmpdir(), 'estate-gateway-spool-'))
  return spoolDir
}
let spoolSequence = 0

/** Removes this process's spool folder (on shutdown). */
export function removeSpoolFolder(): void {
  if (spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true })
  spoolDir = undefined
}

/**
 * Reads a stream into a body: in memory up to `memoryBytes`, spooled beyond, refused beyond
 * `limit` (reading stops and nothing partial is kept; the caller answers and closes the
 * connection).
 */
export function receiveBody(
  source: Readable,
  options: { readonly limit: number; readonly memoryBytes: number },
): Promise<Body> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    const chunks: Buffer[] = []
    let size = 0
    let file: WriteStream | undefined
    let path: string | undefined
    let settled = false
    const stop = (error: Error) => {
      if (settled) return
      settled = true
      source.off('data', onData)
      source.pause()
      file?.destroy()
      if (path !== undefined) rmSync(path, { force: true })
      reject(error)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > options.limit) return stop(new BodyTooLarge(options.limit))
      hash.update(chunk)
      if (file === undefined && size <= options.memoryBytes) return void chunks.push(chunk)
      if (file === undefined) {
        path = join(spoolFolder(), `${process.pid}-${++spoolSequence}.body`)
        file = createWriteStream(path, { flags: 'wx', mode: 0o600 })
        file.on('error', stop)
        for (const earlier of chunks.splice(0)) file.write(earlier)
      }
      if (!file.write(chunk)) {
        source.pause()
        file.once('drain', () => source.resume())
      }
    }
    source.on('data', onData)
    source.once('error', stop)
    source.once('aborted', () => stop(new Error('the sender broke off')))
    source.once('end', () => {
      if (settled) return
      if (file === undefined || path === undefined) {
        settled = true
        return resolve(Buffer.concat(chunks, size))
      }
      const spooled = new SpooledBody(path, size, hash.digest())
      file.end(() => {
        if (settled) return spooled.dispose()
        settled = true
        resolve(spooled)
      })
    })
  })
}

/** SHA-256 of a body: computed for a Buffer, remembered for a spool. */
export function digestOfBody(body: Body): Buffer {
  return body instanceof SpooledBody ? body.digest : createHash('sha256').update(body).digest()
}

/** Writes a body and ends the stream: a Buffer at once, a spool streamed from its file. */
export async function sendBody(body: Body, target: Writable): Promise<void> {
  if (!(body instanceof SpooledBody)) {
    target.end(body)
    return
  }
  await pipeline(body.stream(), target)
}

/** The body when it is in memory; a spooled body is not read back for logging. */
export function bytesInMemory(body: Body): Buffer | undefined {
  return body instanceof SpooledBody ? undefined : body
}

export function disposeBody(body: Body | undefined): void {
  if (body instanceof SpooledBody) body.dispose()
}
