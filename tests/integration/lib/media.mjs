// Helpers for the upload/download tests: test images (made by the parley_make_test_image tool),
// image-header parsers (PNG IHDR, JPEG SOF, GIF, WebP) to measure what the server returns,
// hand-built PNG chunks with CRC-32, multipart bodies built byte by byte as mobile clients do,
// binary-safe raw HTTP requests, and the server's resident memory.
//
// Environment:
//   PARLEY_TEST_IMAGE  path to parley_make_test_image (ctest sets it);
//                      default <repo>/build/release/tests/tools/parley_make_test_image
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, HTTP_TIMEOUT_MS, serverLogTail } from './harness.mjs';

const execFileP = promisify(execFile);

export const TEST_IMAGE_TOOL = process.env.PARLEY_TEST_IMAGE
  ? path.resolve(process.env.PARLEY_TEST_IMAGE)
  : path.join(REPO_ROOT, 'build', 'release', 'tests', 'tools', 'parley_make_test_image');

export const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Test images

let scratchDir;
process.on('exit', () => { if (scratchDir) try { fs.rmSync(scratchDir, { recursive: true, force: true }); } catch {} });

/**
 * makeImage('png' | 'jpg' | 'gif' | 'webp', width, height, { orientation }) -> Buffer.
 * A gradient whose left quarter differs from the rest (so a rotation is visible); with
 * `orientation` (JPEG only) the EXIF orientation tag is set on otherwise unrotated pixels.
 */
export async function makeImage(ext, width, height, { orientation } = {}) {
  if (!fs.existsSync(TEST_IMAGE_TOOL)) {
    throw new Error(`parley_make_test_image not found at ${TEST_IMAGE_TOOL} (set PARLEY_TEST_IMAGE, or build the release preset)`);
  }
  scratchDir ??= await fsp.mkdtemp(path.join(os.tmpdir(), 'parley-img-'));
  const out = path.join(scratchDir, `${randomUUID()}.${ext}`);
  const args = [out, String(width), String(height)];
  if (orientation !== undefined) args.push('--orientation', String(orientation));
  await execFileP(TEST_IMAGE_TOOL, args, { timeout: 20_000 });
  const bytes = await fsp.readFile(out);
  await fsp.rm(out, { force: true });
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Image headers

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** {width, height} from a PNG's IHDR, or null when the bytes are not a PNG. */
export function pngSize(buf) {
  if (buf.length < 24 || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  if (buf.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** {width, height} from a JPEG's first SOFn marker, or null when there is none. */
export function jpegSize(buf) {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return null;
    const marker = buf[i + 1];
    if (marker === 0xff) { i += 1; continue; }  // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }  // no length
    if (marker === 0xd9 || marker === 0xda) return null;  // EOI / SOS before any SOF
    const len = buf.readUInt16BE(i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > buf.length) return null;
      return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  return null;
}

/** {width, height} from a GIF's logical screen descriptor. */
export function gifSize(buf) {
  if (buf.length < 10 || !/^GIF8[79]a$/.test(buf.toString('latin1', 0, 6))) return null;
  return { width: buf.readUInt16LE(6), height: buf.readUInt16LE(8) };
}

/** {width, height} of a WebP (VP8, VP8L or VP8X). */
export function webpSize(buf) {
  if (buf.length < 30 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WEBP') return null;
  const chunk = buf.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') return { width: buf.readUInt16LE(26) & 0x3fff, height: buf.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const b = buf.readUInt32LE(21);
    return { width: (b & 0x3fff) + 1, height: ((b >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { width: buf.readUIntLE(24, 3) + 1, height: buf.readUIntLE(27, 3) + 1 };
  return null;
}

/** {format, width, height} of a PNG, JPEG, GIF or WebP; throws for anything else. */
export function imageSize(buf) {
  for (const [format, fn] of [['png', pngSize], ['jpeg', jpegSize], ['gif', gifSize], ['webp', webpSize]]) {
    const size = fn(buf);
    if (size) return { format, ...size };
  }
  throw new Error(`not a PNG/JPEG/GIF/WebP image (first bytes ${buf.subarray(0, 16).toString('hex')})`);
}

// ---------------------------------------------------------------------------------------------
// Hand-built PNGs

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, as PNG and zip use it) of a Buffer, as an unsigned 32-bit number. */
export function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data, CRC over type + data. */
export function pngChunk(type, data = Buffer.alloc(0)) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([len, typed, crc]);
}

/**
 * A well-formed PNG header declaring width x height (8-bit RGB), a tiny IDAT (a zlib stream of
 * a few zero bytes) and IEND: decoding it for real would need width*height*3 bytes.
 */
export function bombPng(width = 100_000, height = 100_000) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;   // bit depth
  ihdr[9] = 2;   // colour type: RGB
  ihdr[10] = 0;  // compression
  ihdr[11] = 0;  // filter
  ihdr[12] = 0;  // no interlace
  // zlib: header 78 9c, one stored final block of 16 zero bytes, adler32 of 16 zeros (= 0x00100001)
  const stored = Buffer.concat([Buffer.from([0x78, 0x9c, 0x01, 0x10, 0x00, 0xef, 0xff]), Buffer.alloc(16),
    Buffer.from([0x00, 0x10, 0x00, 0x01])]);
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', stored), pngChunk('IEND')]);
}

// ---------------------------------------------------------------------------------------------
// Multipart

/**
 * A multipart/form-data body built the way iOS/Android clients build it by hand:
 *   --<boundary>CRLF
 *   Content-Disposition: form-data; name="file"; filename="photo.jpg"CRLF
 *   Content-Type: image/jpeg CRLF CRLF <bytes> CRLF
 *   --<boundary>--CRLF
 * parts: [{ name, filename?, contentType?, data: Buffer|string }]; opts.closing=false omits the
 * closing delimiter. Returns { body, boundary, contentType }.
 */
export function multipartBody(parts, { boundary = `Boundary-${randomUUID().toUpperCase()}`, closing = true } = {}) {
  const chunks = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType) head += `Content-Type: ${part.contentType}\r\n`;
    head += '\r\n';
    chunks.push(Buffer.from(head, 'utf8'), Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data, 'utf8'),
      Buffer.from('\r\n'));
  }
  if (closing) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const body = Buffer.concat(chunks);
  return { body, boundary, contentType: `multipart/form-data; boundary=${boundary}` };
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

/**
 * rawRequest(baseUrl, { method, path, headers, body, timeoutMs }) -> {status, headers, body: Buffer, json, ms}
 * The path is sent exactly as given (no URL normalisation: "/a/../b" stays as it is); body is a
 * Buffer/string sent as is. Binary-safe, unlike harness api().
 */
export function rawRequest(baseUrl, { method = 'GET', path: p, headers = {}, body, timeoutMs = HTTP_TIMEOUT_MS } = {}) {
  const base = new URL(baseUrl);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path: p, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        let json;
        try { json = buf.length ? JSON.parse(buf.toString('utf8')) : undefined; } catch {}
        resolve({ status: res.statusCode, headers: res.headers, body: buf, text: buf.toString('utf8'), json, ms: Date.now() - t0 });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${p} timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new Error(`${method} ${p} failed: ${e.message}\n${serverLogTail(1500)}`)));
    req.end(body);
  });
}

/**
 * upload(srv, token, data, { filename, contentType, boundary, fieldName }) -> response of
 * POST /api/upload-file with a one-part body (see multipartBody) and a Content-Length.
 */
export function upload(srv, token, data, { filename = 'file.bin', contentType = 'application/octet-stream', boundary, fieldName = 'file', timeoutMs } = {}) {
  const mp = multipartBody([{ name: fieldName, filename, contentType, data }], { boundary });
  return postMultipart(srv, token, mp.body, mp.contentType, { timeoutMs });
}

/** POST /api/upload-file with a ready body and Content-Type (token optional). */
export function postMultipart(srv, token, body, contentType, { timeoutMs, headers = {} } = {}) {
  const h = { 'Content-Type': contentType, 'Content-Length': String(body.length), Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  for (const [k, v] of Object.entries(h)) if (v === undefined) delete h[k];
  return rawRequest(srv.baseUrl, { method: 'POST', path: '/api/upload-file', headers: h, body, timeoutMs });
}

/** GET (or HEAD) a path with optional headers; binary body. */
export function download(srv, p, headers = {}, method = 'GET') {
  return rawRequest(srv.baseUrl, { method, path: p, headers });
}

// ---------------------------------------------------------------------------------------------
// Process memory

/** {rss, hwm} in bytes from /proc/<pid>/status (VmRSS, VmHWM). */
export function memoryOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}
