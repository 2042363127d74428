/**
 * Bro / Zeek TSV logs (http, dns, conn, files). BRO_* match the older Bro column layouts,
 * ZEEK_* the layouts of Zeek 3+. In legacy mode the columns after the fixed ones are
 * GREEDYDATA, so lines with extra columns still match (with some columns joined).
 */
import { r, type PatternFamily } from './types.js';

const T = r`\t`;

/** Builds a tab-separated pattern from its columns. */
const tsv = (...cols: string[]) => cols.join(T);

export const bro: PatternFamily = {
  name: 'bro',
  common: {
    BRO_DATA: r`[^\t]+`,
    BRO_BOOL: r`[TF]`,
    ZEEK_DATA: r`[^\t]+`,
    ZEEK_BOOL: r`[TF]`,
  },
  legacy: {
    BRO_HTTP: tsv(
      r`%{NUMBER:ts}`, r`%{NOTSPACE:uid}`, r`%{IP:orig_h}`, r`%{INT:orig_p}`, r`%{IP:resp_h}`, r`%{INT:resp_p}`, r`%{INT:trans_depth}`,
      r`%{GREEDYDATA:method}`, r`%{GREEDYDATA:domain}`, r`%{GREEDYDATA:uri}`, r`%{GREEDYDATA:referrer}`, r`%{GREEDYDATA:user_agent}`,
      r`%{NUMBER:request_body_len}`, r`%{NUMBER:response_body_len}`,
      r`%{GREEDYDATA:status_code}`, r`%{GREEDYDATA:status_msg}`, r`%{GREEDYDATA:info_code}`, r`%{GREEDYDATA:info_msg}`, r`%{GREEDYDATA:filename}`,
      r`%{GREEDYDATA:bro_tags}`, r`%{GREEDYDATA:username}`, r`%{GREEDYDATA:password}`, r`%{GREEDYDATA:proxied}`, r`%{GREEDYDATA:orig_fuids}`,
      r`%{GREEDYDATA:orig_mime_types}`, r`%{GREEDYDATA:resp_fuids}`, r`%{GREEDYDATA:resp_mime_types}`,
    ),
    BRO_DNS: tsv(
      r`%{NUMBER:ts}`, r`%{NOTSPACE:uid}`, r`%{IP:orig_h}`, r`%{INT:orig_p}`, r`%{IP:resp_h}`, r`%{INT:resp_p}`, r`%{WORD:proto}`, r`%{INT:trans_id}`,
      r`%{GREEDYDATA:query}`, r`%{GREEDYDATA:qclass}`, r`%{GREEDYDATA:qclass_name}`, r`%{GREEDYDATA:qtype}`, r`%{GREEDYDATA:qtype_name}`,
      r`%{GREEDYDATA:rcode}`, r`%{GREEDYDATA:rcode_name}`, r`%{GREEDYDATA:AA}`, r`%{GREEDYDATA:TC}`, r`%{GREEDYDATA:RD}`, r`%{GREEDYDATA:RA}`,
      r`%{GREEDYDATA:Z}`, r`%{GREEDYDATA:answers}`, r`%{GREEDYDATA:TTLs}`, r`%{GREEDYDATA:rejected}`,
    ),
    BRO_CONN: tsv(
      r`%{NUMBER:ts}`, r`%{NOTSPACE:uid}`, r`%{IP:orig_h}`, r`%{INT:orig_p}`, r`%{IP:resp_h}`, r`%{INT:resp_p}`, r`%{WORD:proto}`,
      r`%{GREEDYDATA:service}`, r`%{NUMBER:duration}`, r`%{NUMBER:orig_bytes}`, r`%{NUMBER:resp_bytes}`,
      r`%{GREEDYDATA:conn_state}`, r`%{GREEDYDATA:local_orig}`, r`%{GREEDYDATA:missed_bytes}`, r`%{GREEDYDATA:history}`,
      r`%{GREEDYDATA:orig_pkts}`, r`%{GREEDYDATA:orig_ip_bytes}`, r`%{GREEDYDATA:resp_pkts}`, r`%{GREEDYDATA:resp_ip_bytes}`, r`%{GREEDYDATA:tunnel_parents}`,
    ),
    BRO_FILES: tsv(
      r`%{NUMBER:ts}`, r`%{NOTSPACE:fuid}`, r`%{IP:tx_hosts}`, r`%{IP:rx_hosts}`, r`%{NOTSPACE:conn_uids}`,
      r`%{GREEDYDATA:source}`, r`%{GREEDYDATA:depth}`, r`%{GREEDYDATA:analyzers}`, r`%{GREEDYDATA:mime_type}`, r`%{GREEDYDATA:filename}`,
      r`%{GREEDYDATA:duration}`, r`%{GREEDYDATA:local_orig}`, r`%{GREEDYDATA:is_orig}`, r`%{GREEDYDATA:seen_bytes}`, r`%{GREEDYDATA:total_bytes}`,
      r`%{GREEDYDATA:missing_bytes}`, r`%{GREEDYDATA:overflow_bytes}`, r`%{GREEDYDATA:timedout}`, r`%{GREEDYDATA:parent_fuid}`,
      r`%{GREEDYDATA:md5}`, r`%{GREEDYDATA:sha1}`, r`%{GREEDYDATA:sha256}`, r`%{GREEDYDATA:extracted}`,
    ),
  },
  ecs: {
    BRO_HTTP: tsv(
      r`%{NUMBER:timestamp}`, r`%{NOTSPACE:[zeek][session_id]}`, r`%{IP:[source][ip]}`, r`%{INT:[source][port]:int}`, r`%{IP:[destination][ip]}`, r`%{INT:[destination][port]:int}`,
      r`%{INT:[zeek][http][trans_depth]:int}`, r`(?:-|%{WORD:[http][request][method]})`, r`(?:-|%{BRO_DATA:[url][domain]})`, r`(?:-|%{BRO_DATA:[url][original]})`,
      r`(?:-|%{BRO_DATA:[http][request][referrer]})`, r`(?:-|%{BRO_DATA:[user_agent][original]})`,
      r`(?:-|%{NUMBER:[http][request][body][bytes]:int})`, r`(?:-|%{NUMBER:[http][response][body][bytes]:int})`, r`(?:-|%{POSINT:[http][response][status_code]:int})`,
      r`(?:-|%{BRO_DATA:[zeek][http][status_msg]})`, r`(?:-|%{POSINT:[zeek][http][info_code]:int})`, r`(?:-|%{BRO_DATA:[zeek][http][info_msg]})`,
      r`(?:-|%{BRO_DATA:[zeek][http][filename]})`, r`(?:\(empty\)|%{BRO_DATA:[zeek][http][tags]})`, r`(?:-|%{BRO_DATA:[url][username]})`, r`(?:-|%{BRO_DATA:[url][password]})`,
      r`(?:-|%{BRO_DATA:[zeek][http][proxied]})`, r`(?:-|%{BRO_DATA:[zeek][http][orig_fuids]})`, r`(?:-|%{BRO_DATA:[http][request][mime_type]})`,
      r`(?:-|%{BRO_DATA:[zeek][http][resp_fuids]})`, r`(?:-|%{BRO_DATA:[http][response][mime_type]})`,
    ),
    ZEEK_HTTP: tsv(
      r`%{NUMBER:timestamp}`, r`%{NOTSPACE:[zeek][session_id]}`, r`%{IP:[source][ip]}`, r`%{INT:[source][port]:int}`, r`%{IP:[destination][ip]}`, r`%{INT:[destination][port]:int}`,
      r`%{INT:[zeek][http][trans_depth]:int}`, r`(?:-|%{WORD:[http][request][method]})`, r`(?:-|%{ZEEK_DATA:[url][domain]})`, r`(?:-|%{ZEEK_DATA:[url][original]})`,
      r`(?:-|%{ZEEK_DATA:[http][request][referrer]})`, r`(?:-|%{NUMBER:[http][version]})`, r`(?:-|%{ZEEK_DATA:[user_agent][original]})`, r`(?:-|%{ZEEK_DATA:[zeek][http][origin]})`,
      r`(?:-|%{NUMBER:[http][request][body][bytes]:int})`, r`(?:-|%{NUMBER:[http][response][body][bytes]:int})`, r`(?:-|%{POSINT:[http][response][status_code]:int})`,
      r`(?:-|%{ZEEK_DATA:[zeek][http][status_msg]})`, r`(?:-|%{POSINT:[zeek][http][info_code]:int})`, r`(?:-|%{ZEEK_DATA:[zeek][http][info_msg]})`,
      r`(?:\(empty\)|%{ZEEK_DATA:[zeek][http][tags]})`, r`(?:-|%{ZEEK_DATA:[url][username]})`, r`(?:-|%{ZEEK_DATA:[url][password]})`, r`(?:-|%{ZEEK_DATA:[zeek][http][proxied]})`,
      r`(?:-|%{ZEEK_DATA:[zeek][http][orig_fuids]})`, r`(?:-|%{ZEEK_DATA:[zeek][http][orig_filenames]})`, r`(?:-|%{ZEEK_DATA:[http][request][mime_type]})`,
      r`(?:-|%{ZEEK_DATA:[zeek][http][resp_fuids]})`, r`(?:-|%{ZEEK_DATA:[zeek][http][resp_filenames]})`, r`(?:-|%{ZEEK_DATA:[http][response][mime_type]})`,
    ),
    BRO_DNS: tsv(
      r`%{NUMBER:timestamp}`, r`%{NOTSPACE:[zeek][session_id]}`, r`%{IP:[source][ip]}`, r`%{INT:[source][port]:int}`, r`%{IP:[destination][ip]}`, r`%{INT:[destination][port]:int}`,
      r`%{WORD:[network][transport]}`, r`(?:-|%{INT:[dns][id]:int})`, r`(?:-|%{BRO_DATA:[dns][question][name]})`,
      r`(?:-|%{INT:[zeek][dns][qclass]:int})`, r`(?:-|%{BRO_DATA:[zeek][dns][qclass_name]})`, r`(?:-|%{INT:[zeek][dns][qtype]:int})`, r`(?:-|%{BRO_DATA:[dns][question][type]})`,
      r`(?:-|%{INT:[zeek][dns][rcode]:int})`, r`(?:-|%{BRO_DATA:[dns][response_code]})`,
      r`(?:-|%{BRO_BOOL:[zeek][dns][AA]})`, r`(?:-|%{BRO_BOOL:[zeek][dns][TC]})`, r`(?:-|%{BRO_BOOL:[zeek][dns][RD]})`, r`(?:-|%{BRO_BOOL:[zeek][dns][RA]})`,
      r`(?:-|%{NONNEGINT:[zeek][dns][Z]:int})`, r`(?:-|%{BRO_DATA:[zeek][dns][answers]})`, r`(?:-|%{BRO_DATA:[zeek][dns][TTLs]})`, r`(?:-|%{BRO_BOOL:[zeek][dns][rejected]})`,
    ),
    ZEEK_DNS: tsv(
      r`%{NUMBER:timestamp}`, r`%{NOTSPACE:[zeek][session_id]}`, r`%{IP:[source][ip]}`, r`%{INT:[source][port]:int}`, r`%{IP:[destination][ip]}`, r`%{INT:[destination][port]:int}`,
      r`%{WORD:[network][transport]}`, r`(?:-|%{INT:[dns][id]:int})`, r`(?:-|%{NUMBER:[zeek][dns][rtt]:float})`, r`(?:-|%{ZEEK_DATA:[dns][question][name]})`,
      r`(?:-|%{INT:[zeek][dns][qclass]:int})`, r`(?:-|%{ZEEK_DATA:[zeek][dns][qclass_name]})`, r`(?:-|%{INT:[zeek][dns][qtype]:int})`, r`(?:-|%{ZEEK_DATA:[dns][question][type]})`,
      r`(?:-|%{INT:[zeek][dns][rcode]:int})`, r`(?:-|%{ZEEK_DATA:[dns][response_code]})`,
      r`(?:-|%{ZEEK_BOOL:[zeek][dns][AA]})`, r`(?:-|%{ZEEK_BOOL:[zeek][dns][TC]})`, r`(?:-|%{ZEEK_BOOL:[zeek][dns][RD]})`, r`(?:-|%{ZEEK_BOOL:[zeek][dns][RA]})`,
      r`(?:-|%{NONNEGINT:[zeek][dns][Z]:int})`, r`(?:-|%{ZEEK_DATA:[zeek][dns][answers]})`, r`(?:-|%{ZEEK_DATA:[zeek][dns][TTLs]})`, r`(?:-|%{ZEEK_BOOL:[zeek][dns][rejected]})`,
    ),
    // Bro 2.x conn.log, with or without the local_resp column
    BRO_CONN: tsv(
      r`%{NUMBER:timestamp}`, r`%{NOTSPACE:[zeek][session_id]}`, r`%{IP:[source][ip]}`, r`%{INT:[source][port]:int}`, r`%{IP:[destination][ip]}`, r`%{INT:[destination][port]:int}`,
      r`%{WORD:[network][transport]}`, r`(?:-|%{BRO_DATA:[network][protocol]})`, r`(?:-|%{NUMBER:[zeek][connection][duration]:float})`,
      r`(?:-|%{INT:[zeek][connection][orig_bytes]:int})`, r`(?:-|%{INT:[zeek][connection][resp_bytes]:int})`, r`(?:-|%{BRO_DATA:[zeek][connection][state]})`,
      r`(?:-|%{BRO_BOOL:[zeek][connection][local_orig]})(?:\t(?:-|%{BRO_BOOL:[zeek][connection][local_resp]}))?`,
      r`(?:-|%{INT:[zeek][connection][missed_bytes]:int})`, r`(?:-|%{BRO_DATA:[zeek][connection][history]})`,
      r`(?:-|%{INT:[source][packets]:int})`, r`(?:-|%{INT:[source][bytes]:int})`, r`(?:-|%{INT:[destination][packets]:int})`, r`(?:-|%{INT:[destination][bytes]:int})`,
      r`(?:-|\(empty\)|%{BRO_DATA:[zeek][connection][tunnel_parents]})`,
    ),
    ZEEK_CONN: tsv(
      r`%{NUMBER:timestamp}`, r`%{NOTSPACE:[zeek][session_id]}`, r`%{IP:[source][ip]}`, r`%{INT:[source][port]:int}`, r`%{IP:[destination][ip]}`, r`%{INT:[destination][port]:int}`,
      r`%{WORD:[network][transport]}`, r`(?:-|%{ZEEK_DATA:[network][protocol]})`, r`(?:-|%{NUMBER:[zeek][connection][duration]:float})`,
      r`(?:-|%{INT:[zeek][connection][orig_bytes]:int})`, r`(?:-|%{INT:[zeek][connection][resp_bytes]:int})`, r`(?:-|%{ZEEK_DATA:[zeek][connection][state]})`,
      r`(?:-|%{ZEEK_BOOL:[zeek][connection][local_orig]})`, r`(?:-|%{ZEEK_BOOL:[zeek][connection][local_resp]})`,
      r`(?:-|%{INT:[zeek][connection][missed_bytes]:int})`, r`(?:-|%{ZEEK_DATA:[zeek][connection][history]})`,
      r`(?:-|%{INT:[source][packets]:int})`, r`(?:-|%{INT:[source][bytes]:int})`, r`(?:-|%{INT:[destination][packets]:int})`, r`(?:-|%{INT:[destination][bytes]:int})`,
      r`(?:-|\(empty\)|%{ZEEK_DATA:[zeek][connection][tunnel_parents]})(?:\t(?:-|%{COMMONMAC:[source][mac]})\t(?:-|%{COMMONMAC:[destination][mac]}))?`,
    ),
    // tx_hosts / rx_hosts may list several addresses: the first one is the server / client address
    BRO_FILES_HOSTS: tsv(
      r`(?<[zeek][files][tx_hosts]>%{IP:[server][ip]}(?:[ ,]%{IP})*)`,
      r`(?<[zeek][files][rx_hosts]>%{IP:[client][ip]}(?:[ ,]%{IP})*)`,
    ),
    BRO_FILES: tsv(
      r`%{NUMBER:timestamp}`, r`%{NOTSPACE:[zeek][files][fuid]}`, r`%{BRO_FILES_HOSTS}`,
      r`(?:-|%{BRO_DATA:[zeek][files][session_ids]})`, r`(?:-|%{BRO_DATA:[zeek][files][source]})`, r`(?:-|%{INT:[zeek][files][depth]:int})`,
      r`(?:-|%{BRO_DATA:[zeek][files][analyzers]})`, r`(?:-|%{BRO_DATA:[file][mime_type]})`, r`(?:-|%{BRO_DATA:[file][name]})`,
      r`(?:-|%{NUMBER:[zeek][files][duration]:float})`, r`(?:-|%{BRO_DATA:[zeek][files][local_orig]})`, r`(?:-|%{BRO_BOOL:[zeek][files][is_orig]})`,
      r`(?:-|%{INT:[zeek][files][seen_bytes]:int})`, r`(?:-|%{INT:[file][size]:int})`, r`(?:-|%{INT:[zeek][files][missing_bytes]:int})`,
      r`(?:-|%{INT:[zeek][files][overflow_bytes]:int})`, r`(?:-|%{BRO_BOOL:[zeek][files][timedout]})`, r`(?:-|%{BRO_DATA:[zeek][files][parent_fuid]})`,
      r`(?:-|%{BRO_DATA:[file][hash][md5]})`, r`(?:-|%{BRO_DATA:[file][hash][sha1]})`, r`(?:-|%{BRO_DATA:[file][hash][sha256]})`,
      r`(?:-|%{BRO_DATA:[zeek][files][extracted]})(?:\t(?:-|%{BRO_BOOL:[zeek][files][extracted_cutoff]})\t(?:-|%{INT:[zeek][files][extracted_size]:int}))?`,
    ),
    ZEEK_FILES: tsv(
      r`%{NUMBER:timestamp}`, r`%{NOTSPACE:[zeek][files][fuid]}`, r`%{BRO_FILES_HOSTS}`,
      r`(?:-|%{ZEEK_DATA:[zeek][files][session_ids]})`, r`(?:-|%{ZEEK_DATA:[zeek][files][source]})`, r`(?:-|%{INT:[zeek][files][depth]:int})`,
      r`(?:-|%{ZEEK_DATA:[zeek][files][analyzers]})`, r`(?:-|%{ZEEK_DATA:[file][mime_type]})`, r`(?:-|%{ZEEK_DATA:[file][name]})`,
      r`(?:-|%{NUMBER:[zeek][files][duration]:float})`, r`(?:-|%{ZEEK_DATA:[zeek][files][local_orig]})`, r`(?:-|%{ZEEK_BOOL:[zeek][files][is_orig]})`,
      r`(?:-|%{INT:[zeek][files][seen_bytes]:int})`, r`(?:-|%{INT:[file][size]:int})`, r`(?:-|%{INT:[zeek][files][missing_bytes]:int})`,
      r`(?:-|%{INT:[zeek][files][overflow_bytes]:int})`, r`(?:-|%{ZEEK_BOOL:[zeek][files][timedout]})`, r`(?:-|%{ZEEK_DATA:[zeek][files][parent_fuid]})`,
      r`(?:-|%{ZEEK_DATA:[file][hash][md5]})`, r`(?:-|%{ZEEK_DATA:[file][hash][sha1]})`, r`(?:-|%{ZEEK_DATA:[file][hash][sha256]})`,
      r`(?:-|%{ZEEK_DATA:[zeek][files][extracted]})`, r`(?:-|%{ZEEK_BOOL:[zeek][files][extracted_cutoff]})`, r`(?:-|%{INT:[zeek][files][extracted_size]:int})`,
    ),
  },
};
