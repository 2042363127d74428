/**
 * TLS in config, shared by the Kafka input and the Elasticsearch output.
 *
 * TLS material: each certificate or key property takes either the PEM text itself
 * (`-----BEGIN ...`, e.g. from `${CA_PEM}`) or the path of a PEM file. Relative paths are
 * resolved against the pipeline file's directory when the file is loaded, like every other
 * path in a pipeline, so every verb (`run`, `validate`, `replay`, `doctor`) reads the same file.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { Type, type StringOptions, type TSchema } from '@sinclair/typebox';
import { UserError } from '../core/user-error.js';
import { registerSecret } from './secrets.js';

export const PEM_OR_FILE = 'pemOrFile';

/** A PEM-or-file property. With `secret`, inline PEM text is a secret (private keys). */
export function pemOrFile(description: string, opts: { secret?: boolean } & StringOptions = {}) {
  const { secret, ...rest } = opts;
  return Type.String({ minLength: 1, ...rest, description, [PEM_OR_FILE]: true, ...(secret ? { sensitive: 'pem' } : {}) });
}

export function isPem(value: string): boolean {
  return value.includes('-----BEGIN ');
}

/** Resolves the relative paths of PEM-or-file properties in `value` (in place) against `baseDir`. */
export function resolvePemPaths(schema: TSchema | undefined, value: unknown, baseDir: string): void {
  if (!schema || typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const props = (schema as { properties?: Record<string, TSchema> }).properties;
  if (!props) return;
  const obj = value as Record<string, unknown>;
  for (const [k, child] of Object.entries(props)) {
    if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
    const v = obj[k];
    if ((child as Record<string, unknown>)[PEM_OR_FILE] === true && typeof v === 'string' && !isPem(v) && !isAbsolute(v)) obj[k] = resolve(baseDir, v);
    else resolvePemPaths(child, v, baseDir);
  }
}

/**
 * The PEM text of a PEM-or-file value; `where` names the property for the error message
 * (`input.kafka.tls.ca`). A private key read from a file is registered as a secret.
 */
export function readPem(value: string, where: string, opts: { secret?: boolean } = {}): string {
  if (isPem(value)) return value;
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${where}: cannot read the PEM file ${value} (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (err as Error).message)})`);
  }
  if (!isPem(text)) throw new UserError(`${where}: ${value} is not a PEM file (expected "-----BEGIN ...")`);
  if (opts.secret) {
    registerSecret(text);
    registerSecret(text.trim());
  }
  return text;
}

/**
 * What an operator should read for a TLS failure against `address`, or undefined when the
 * error is not about TLS. `property` is the config object to fix (`input.kafka.tls`).
 */
export function explainTlsFailure(address: string, err: unknown, opts: { what: string; property: string; plainHint: string }): string | undefined {
  let code = (err as { code?: string }).code ?? '';
  const msg = cleanTlsMessage((err as Error).message ?? String(err));
  const { what, property } = opts;
  // Node reports some OpenSSL failures as EPROTO with the reason only in the message.
  if (code === 'EPROTO') {
    if (/wrong version number|packet length too long|http request/i.test(msg)) code = 'ERR_SSL_WRONG_VERSION_NUMBER';
    else if (/certificate required/i.test(msg)) code = 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED';
    else if (/alert (bad certificate|unknown ca|handshake failure)/i.test(msg)) code = 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE';
    else code = 'ERR_SSL_EPROTO';
  }
  switch (code) {
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_SIGNATURE_FAILURE':
    case 'CERT_UNTRUSTED':
      return `${what} ${address}: TLS certificate not trusted (${code}: ${msg}): set ${property}.ca to the CA certificate that signed it`;
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return `${what} ${address}: its TLS certificate ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not yet valid'} (${msg})`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `${what} ${address}: its TLS certificate does not name this host (${msg}): connect by a name the certificate lists, or set ${property}.servername`;
    case 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED':
    case 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE':
    case 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE':
    case 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA':
      return `${what} ${address}: the server refused the TLS client authentication (${msg}): it requires a client certificate signed by a CA it trusts: set ${property}.cert and ${property}.key`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return `${what} ${address}: does not speak TLS (${msg}): ${opts.plainHint}`;
    default:
      if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return `${what} ${address}: TLS handshake failed (${code}: ${msg})`;
      return undefined;
  }
}

/**
 * OpenSSL's messages carry internals (`8000...:error:0A00010B:SSL routines:ssl3_get_record:wrong
 * version number:../deps/openssl/...`): keep the reason.
 */
export function cleanTlsMessage(message: string): string {
  const m = /error:[0-9A-F]+:SSL routines:[^:]*:([^:\n]+)/i.exec(message);
  return (m ? m[1] : message).replace(/\s+/g, ' ').trim();
}

/** Checks that a CA, or a certificate with its key, can be loaded; throws UserError naming `property`. */
export function checkTlsMaterial(property: string, opts: { ca?: string[]; cert?: string; key?: string; passphrase?: string }): void {
  if (opts.ca) {
    for (const pem of opts.ca) {
      const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
      if (blocks.length === 0) throw new UserError(`${property}.ca: not a usable CA certificate: no "-----BEGIN CERTIFICATE-----" block`);
      for (const block of blocks) {
        try {
          new X509Certificate(block);
        } catch (err) {
          throw new UserError(`${property}.ca: not a usable CA certificate: ${tlsReason(err)}`);
        }
      }
    }
  }
  if (opts.cert || opts.key) {
    if (!opts.cert || !opts.key) throw new UserError(`${property}: "cert" and "key" go together (a client certificate needs its private key)`);
    try {
      tls.createSecureContext({ cert: opts.cert, key: opts.key, passphrase: opts.passphrase });
    } catch (err) {
      throw new UserError(`${property}: the client certificate and key cannot be used together: ${tlsReason(err)}`);
    }
  }
}

function tlsReason(err: unknown): string {
  const e = err as { reason?: string; message?: string };
  return e.reason ?? e.message ?? String(err);
}
