/** Firewalls: Cisco ASA/PIX, netfilter/iptables (SuSE SFW2, Shorewall), Juniper NetScreen. */
import { r, type PatternFamily } from './types.js';

/**
 * Cisco ASA message bodies, written once with {name} placeholders that become the legacy or
 * the ECS field name (see CISCO_FIELDS). A placeholder written {name:int} is converted to a
 * number in ECS mode only (the legacy patterns keep strings).
 */
const CISCO_BODIES: Record<string, string> = {
  CISCOFW104001: r`\((?:Primary|Secondary)\) Switching to ACTIVE - %{GREEDYDATA:{switch_reason}}`,
  CISCOFW104002: r`\((?:Primary|Secondary)\) Switching to STANDBY - %{GREEDYDATA:{switch_reason}}`,
  CISCOFW104003: r`\((?:Primary|Secondary)\) Switching to FAILED\.`,
  CISCOFW104004: r`\((?:Primary|Secondary)\) Switching to OK\.`,
  CISCOFW105003: r`\((?:Primary|Secondary)\) Monitoring on [Ii]nterface %{NOTSPACE:{interface_name}} waiting`,
  CISCOFW105004: r`\((?:Primary|Secondary)\) Monitoring on [Ii]nterface %{NOTSPACE:{interface_name}} normal`,
  CISCOFW105005: r`\((?:Primary|Secondary)\) Lost Failover communications with mate on [Ii]nterface %{GREEDYDATA:{interface_name}}`,
  CISCOFW105008: r`\((?:Primary|Secondary)\) Testing [Ii]nterface %{GREEDYDATA:{interface_name}}`,
  CISCOFW105009: r`\((?:Primary|Secondary)\) Testing on [Ii]nterface %{NOTSPACE:{interface_name}} (?:Passed|Failed)`,
  CISCOFW106001: r`%{CISCO_DIRECTION:{direction}} %{WORD:{protocol}} connection %{CISCO_ACTION:{action}} from %{IP:{src_ip}}/%{INT:{src_port:int}} to %{IP:{dst_ip}}/%{INT:{dst_port:int}} flags %{DATA:{tcp_flags}} on interface %{NOTSPACE:{interface}}`,
  CISCOFW106006_106007_106010: r`%{CISCO_ACTION:{action}} %{CISCO_DIRECTION:{direction}} %{WORD:{protocol}} (?:from|src) %{IP:{src_ip}}/%{INT:{src_port:int}}(?:\(%{DATA:{src_fwuser}}\))? (?:to|dst) %{IP:{dst_ip}}/%{INT:{dst_port:int}}(?:\(%{DATA:{dst_fwuser}}\))? (?:on interface %{NOTSPACE:{interface}}|due to %{CISCO_REASON:{reason}})`,
  CISCOFW106014: r`%{CISCO_ACTION:{action}} %{CISCO_DIRECTION:{direction}} %{WORD:{protocol}} src %{DATA:{src_interface}}:%{IP:{src_ip}}(?:\(%{DATA:{src_fwuser}}\))? dst %{DATA:{dst_interface}}:%{IP:{dst_ip}}(?:\(%{DATA:{dst_fwuser}}\))? ?\(type %{INT:{icmp_type:int}}, code %{INT:{icmp_code:int}}\)`,
  CISCOFW106015: r`%{CISCO_ACTION:{action}} %{WORD:{protocol}} \(%{DATA:{policy_id}}\) from %{IP:{src_ip}}/%{INT:{src_port:int}} to %{IP:{dst_ip}}/%{INT:{dst_port:int}} flags %{DATA:{tcp_flags}} +on interface %{NOTSPACE:{interface}}`,
  CISCOFW106021: r`%{CISCO_ACTION:{action}} %{WORD:{protocol}} reverse path check from %{IP:{src_ip}} to %{IP:{dst_ip}} on interface %{NOTSPACE:{interface}}`,
  CISCOFW106023: r`%{CISCO_ACTION:{action}}(?: protocol)? %{WORD:{protocol}} src %{DATA:{src_interface}}:(?:%{IP:{src_ip}}|%{HOSTNAME:{src_host}})(?:/%{INT:{src_port:int}})?(?:\(%{DATA:{src_fwuser}}\))? dst %{DATA:{dst_interface}}:(?:%{IP:{dst_ip}}|%{HOSTNAME:{dst_host}})(?:/%{INT:{dst_port:int}})?(?:\(%{DATA:{dst_fwuser}}\))?(?: \(type %{INT:{icmp_type:int}}, code %{INT:{icmp_code:int}}\))? by access-group "?%{DATA:{policy_id}}"? \[%{DATA:{hashcode1}}, %{DATA:{hashcode2}}\]`,
  CISCOFW106100_2_3: r`access-list %{NOTSPACE:{policy_id}} %{CISCO_ACTION:{action}} for user '%{DATA:{src_fwuser}}' %{DATA:{src_interface}}/%{IP:{src_ip}}\(%{INT:{src_port:int}}\) -> %{DATA:{dst_interface}}/%{IP:{dst_ip}}\(%{INT:{dst_port:int}}\) hit-cnt %{INT:{hit_count:int}} %{CISCO_INTERVAL:{interval}} \[%{DATA:{hashcode1}}, %{DATA:{hashcode2}}\]`,
  CISCOFW106100: r`access-list %{NOTSPACE:{policy_id}} %{CISCO_ACTION:{action}} %{WORD:{protocol}} %{DATA:{src_interface}}/%{IP:{src_ip}}\(%{INT:{src_port:int}}\)(?:\(%{DATA:{src_fwuser}}\))? -> %{DATA:{dst_interface}}/%{IP:{dst_ip}}\(%{INT:{dst_port:int}}\)(?:\(%{DATA:{dst_fwuser}}\))? hit-cnt %{INT:{hit_count:int}} %{CISCO_INTERVAL:{interval}} \[%{DATA:{hashcode1}}, %{DATA:{hashcode2}}\]`,
  CISCOFW304001: r`%{IP:{src_ip}}(?:\(%{DATA:{src_fwuser}}\))? Accessed URL %{IP:{dst_ip}}:%{GREEDYDATA:{dst_url}}`,
  CISCOFW110002: r`%{CISCO_REASON:{reason}} for %{WORD:{protocol}} from %{DATA:{src_interface}}:%{IP:{src_ip}}/%{INT:{src_port:int}} to %{IP:{dst_ip}}/%{INT:{dst_port:int}}`,
  CISCOFW302010: r`%{INT:{connection_count:int}} in use, %{INT:{connection_count_max:int}} most used`,
  CISCOFW302013_302014_302015_302016: r`%{CISCO_ACTION:{action}}(?: %{CISCO_DIRECTION:{direction}})? %{WORD:{protocol}} connection %{INT:{connection_id}} for %{DATA:{src_interface}}:%{IP:{src_ip}}/%{INT:{src_port:int}}(?: \(%{IP:{src_xlated_ip}}/%{INT:{src_xlated_port:int}}\))?(?:\(%{DATA:{src_fwuser}}\))? to %{DATA:{dst_interface}}:%{IP:{dst_ip}}/%{INT:{dst_port:int}}(?: \(%{IP:{dst_xlated_ip}}/%{INT:{dst_xlated_port:int}}\))?(?:\(%{DATA:{dst_fwuser}}\))?(?: duration %{TIME:{duration}} bytes %{INT:{bytes:int}})?(?: %{CISCO_REASON:{reason}})?(?: \(%{DATA:{user}}\))?`,
  CISCOFW302020_302021: r`%{CISCO_ACTION:{action}}(?: %{CISCO_DIRECTION:{direction}})? %{WORD:{protocol}} connection for faddr %{IP:{dst_ip}}/%{INT:{icmp_seq_num:int}}(?:\(%{DATA:{fwuser}}\))? gaddr %{IP:{src_xlated_ip}}/%{INT:{icmp_code_xlated:int}} laddr %{IP:{src_ip}}/%{INT:{icmp_code}}(?: \(%{DATA:{user}}\))?`,
  CISCOFW305011: r`%{CISCO_ACTION:{action}} %{CISCO_XLATE_TYPE:{xlate_type}} %{WORD:{protocol}} translation from %{DATA:{src_interface}}:%{IP:{src_ip}}(?:/%{INT:{src_port:int}})?(?:\(%{DATA:{src_fwuser}}\))? to %{DATA:{src_xlated_interface}}:%{IP:{src_xlated_ip}}/%{INT:{src_xlated_port:int}}`,
  CISCOFW313001_313004_313008: r`%{CISCO_ACTION:{action}} %{WORD:{protocol}} type=%{INT:{icmp_type:int}}, code=%{INT:{icmp_code:int}} from %{IP:{src_ip}} on interface %{NOTSPACE:{interface}}(?: to %{IP:{dst_ip}})?`,
  CISCOFW313005: r`%{CISCO_REASON:{reason}} for %{WORD:{protocol}} error message: %{WORD:{err_protocol}} src %{DATA:{err_src_interface}}:%{IP:{err_src_ip}}(?:\(%{DATA:{err_src_fwuser}}\))? dst %{DATA:{err_dst_interface}}:%{IP:{err_dst_ip}}(?:\(%{DATA:{err_dst_fwuser}}\))? \(type %{INT:{err_icmp_type:int}}, code %{INT:{err_icmp_code:int}}\) on %{DATA:{interface}} interface\. +Original IP payload: %{WORD:{orig_protocol}} src %{IP:{orig_src_ip}}/%{INT:{orig_src_port:int}}(?:\(%{DATA:{orig_src_fwuser}}\))? dst %{IP:{orig_dst_ip}}/%{INT:{orig_dst_port:int}}(?:\(%{DATA:{orig_dst_fwuser}}\))?`,
  CISCOFW321001: r`Resource '%{DATA:{resource_name}}' limit of %{POSINT:{resource_limit:int}} reached for system`,
  CISCOFW402117: r`%{WORD:{protocol}}: Received a non-IPSec packet \(protocol= %{WORD:{orig_protocol}}\) from %{IP:{src_ip}} to %{IP:{dst_ip}}\.?`,
  CISCOFW402119: r`%{WORD:{protocol}}: Received an %{WORD:{orig_protocol}} packet \(SPI= %{DATA:{spi}}, sequence number= %{DATA:{seq_num}}\) from %{IP:{src_ip}} \(user= %{DATA:{user}}\) to %{IP:{dst_ip}} that failed anti-replay checking\.?`,
  CISCOFW419001: r`%{CISCO_ACTION:{action}} %{WORD:{protocol}} packet from %{DATA:{src_interface}}:%{IP:{src_ip}}/%{INT:{src_port:int}} to %{DATA:{dst_interface}}:%{IP:{dst_ip}}/%{INT:{dst_port:int}}, reason: %{GREEDYDATA:{reason}}`,
  CISCOFW419002: r`%{CISCO_REASON:{reason}} from %{DATA:{src_interface}}:%{IP:{src_ip}}/%{INT:{src_port:int}} to %{DATA:{dst_interface}}:%{IP:{dst_ip}}/%{INT:{dst_port:int}} with different initial sequence number`,
  CISCOFW500004: r`%{CISCO_REASON:{reason}} for protocol=%{WORD:{protocol}}, from %{IP:{src_ip}}/%{INT:{src_port:int}} to %{IP:{dst_ip}}/%{INT:{dst_port:int}}`,
  CISCOFW602303_602304: r`%{WORD:{protocol}}: An %{CISCO_DIRECTION:{direction}} %{DATA:{tunnel_type}} SA \(SPI= %{DATA:{spi}}\) between %{IP:{src_ip}} and %{IP:{dst_ip}} \(user= %{DATA:{user}}\) has been %{CISCO_ACTION:{action}}`,
  CISCOFW710001_710002_710003_710005_710006: r`%{WORD:{protocol}} (?:request|access) %{CISCO_ACTION:{action}} from (?:%{DATA:{src_interface}}:)?%{IP:{src_ip}}/%{INT:{src_port:int}} to %{DATA:{dst_interface}}:%{IP:{dst_ip}}/%{INT:{dst_port:int}}`,
  CISCOFW713172: r`Group = %{GREEDYDATA:{group}}, IP = %{IP:{src_ip}}, Automatic NAT Detection Status:\s+Remote end\s*%{DATA:{is_remote_natted}}\s*behind a NAT device\s+This\s+end\s*%{DATA:{is_local_natted}}\s*behind a NAT device`,
  CISCOFW733100: r`\[\s*%{DATA:{drop_type}}\s*\] drop %{DATA:{drop_rate_id}} exceeded\. Current burst rate is %{INT:{drop_rate_current_burst:int}} per second, max configured rate is %{INT:{drop_rate_max_burst:int}}; Current average rate is %{INT:{drop_rate_current_avg:int}} per second, max configured rate is %{INT:{drop_rate_max_avg:int}}; Cumulative total count is %{INT:{drop_total_count:int}}`,
};

/**
 * ECS names of the legacy Cisco fields. Where a message uses a legacy name differently the
 * entry is keyed "PATTERN/name".
 */
const CISCO_FIELDS: Record<string, string> = {
  switch_reason: '[event][reason]',
  interface_name: '[observer][ingress][interface][name]',
  direction: '[cisco][asa][network][direction]',
  protocol: '[cisco][asa][network][transport]',
  action: '[cisco][asa][outcome]',
  src_ip: '[source][ip]',
  src_port: '[source][port]',
  dst_ip: '[destination][ip]',
  dst_port: '[destination][port]',
  src_host: '[source][address]',
  dst_host: '[destination][address]',
  tcp_flags: '[cisco][asa][tcp_flags]',
  interface: '[observer][egress][interface][name]',
  src_interface: '[observer][ingress][interface][name]',
  dst_interface: '[observer][egress][interface][name]',
  src_fwuser: '[source][user][name]',
  dst_fwuser: '[destination][user][name]',
  fwuser: '[destination][user][name]',
  user: '[source][user][name]',
  reason: '[event][reason]',
  icmp_type: '[cisco][asa][icmp_type]',
  icmp_code: '[cisco][asa][icmp_code]',
  policy_id: '[cisco][asa][rule_name]',
  hashcode1: '[@metadata][cisco][asa][hashcode1]',
  hashcode2: '[@metadata][cisco][asa][hashcode2]',
  hit_count: '[cisco][asa][hit_count]',
  interval: '[cisco][asa][interval]',
  dst_url: '[url][original]',
  connection_count: '[cisco][asa][connections][in_use]',
  connection_count_max: '[cisco][asa][connections][most_used]',
  connection_id: '[cisco][asa][connection_id]',
  src_xlated_ip: '[source][nat][ip]',
  src_xlated_port: '[source][nat][port]',
  dst_xlated_ip: '[destination][nat][ip]',
  dst_xlated_port: '[destination][nat][port]',
  duration: '[event][duration]',
  bytes: '[network][bytes]',
  icmp_seq_num: '[cisco][asa][icmp_seq]',
  icmp_code_xlated: '[cisco][asa][icmp_type]',
  xlate_type: '[cisco][asa][xlate_type]',
  src_xlated_interface: '[observer][egress][interface][name]',
  err_protocol: '',
  err_src_interface: '[observer][ingress][interface][name]',
  err_src_ip: '[source][ip]',
  err_src_fwuser: '[source][user][name]',
  err_dst_interface: '[observer][egress][interface][name]',
  err_dst_ip: '[destination][ip]',
  err_dst_fwuser: '[destination][user][name]',
  err_icmp_type: '[cisco][asa][icmp_type]',
  err_icmp_code: '[cisco][asa][icmp_code]',
  orig_protocol: '[cisco][asa][original_ip_payload][network][transport]',
  orig_src_ip: '[cisco][asa][original_ip_payload][source][ip]',
  orig_src_port: '[cisco][asa][original_ip_payload][source][port]',
  orig_src_fwuser: '[cisco][asa][original_ip_payload][source][user][name]',
  orig_dst_ip: '[cisco][asa][original_ip_payload][destination][ip]',
  orig_dst_port: '[cisco][asa][original_ip_payload][destination][port]',
  orig_dst_fwuser: '[cisco][asa][original_ip_payload][destination][user][name]',
  resource_name: '[cisco][asa][resource][name]',
  resource_limit: '[cisco][asa][resource][limit]',
  spi: '[cisco][asa][ipsec][spi]',
  seq_num: '[cisco][asa][ipsec][seq_num]',
  tunnel_type: '[cisco][asa][ipsec][tunnel_type]',
  group: '[cisco][asa][source][group]',
  is_remote_natted: '[@metadata][cisco][asa][remote_nat]',
  is_local_natted: '[@metadata][cisco][asa][local_nat]',
  drop_type: '[cisco][asa][burst][object]',
  drop_rate_id: '[cisco][asa][burst][id]',
  drop_rate_current_burst: '[cisco][asa][burst][current_rate]',
  drop_rate_max_burst: '[cisco][asa][burst][configured_rate]',
  drop_rate_current_avg: '[cisco][asa][burst][avg_rate]',
  drop_rate_max_avg: '[cisco][asa][burst][configured_avg_rate]',
  drop_total_count: '[cisco][asa][burst][cumulative_count]',
  // IPsec messages: the "protocol" is the network type, the inner one the transport
  'CISCOFW402117/protocol': '[cisco][asa][network][type]',
  'CISCOFW402117/orig_protocol': '[cisco][asa][network][transport]',
  'CISCOFW402119/protocol': '[cisco][asa][network][type]',
  'CISCOFW402119/orig_protocol': '[cisco][asa][ipsec][protocol]',
  'CISCOFW602303_602304/protocol': '[cisco][asa][network][type]',
  // the laddr port of an ICMP connection, and the interface already named by err_*_interface
  'CISCOFW302020_302021/icmp_code': '',
  'CISCOFW313005/interface': '',
  // a translation's target is the destination
  'CISCOFW305011/src_xlated_ip': '[destination][ip]',
  'CISCOFW305011/src_xlated_port': '[destination][port]',
};

/** Legacy names that differ from the placeholder (a host name in an address column). */
const CISCO_LEGACY_NAMES: Record<string, string> = { src_host: 'src_ip', dst_host: 'dst_ip' };

function ciscoBodies(mode: 'legacy' | 'ecs'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, body] of Object.entries(CISCO_BODIES)) {
    out[name] = body.replace(/:\{(\w+)(:int)?\}\}/g, (_, field: string, int: string | undefined) => {
      if (mode === 'legacy') return `:${CISCO_LEGACY_NAMES[field] ?? field}}`;
      const ecs = CISCO_FIELDS[`${name}/${field}`] ?? CISCO_FIELDS[field];
      if (ecs === undefined) throw new Error(`no ECS name for Cisco field ${field}`);
      // an empty ECS name: matched, not kept
      if (ecs === '') return '}';
      return `:${ecs}${int ? ':int' : ''}}`;
    });
  }
  return out;
}

/** netfilter log prefix fields; legacy names are nf_*. */
const IPTABLES_FIELDS = {
  in: ['nf_in_interface', '[observer][ingress][interface][name]'],
  out: ['nf_out_interface', '[observer][egress][interface][name]'],
  dstMac: ['nf_dst_mac', '[destination][mac]'],
  srcMac: ['nf_src_mac', '[source][mac]'],
  ethType: ['nf_ethtype', '[iptables][ether_type]'],
  srcIp: ['nf_src_ip', '[source][ip]'],
  dstIp: ['nf_dst_ip', '[destination][ip]'],
  len: ['nf_len', '[iptables][length]:int'],
  tos: ['nf_tos', '[iptables][tos]'],
  prec: ['nf_prec', '[iptables][precedence_bits]'],
  ttl: ['nf_ttl', '[iptables][ttl]:int'],
  id: ['nf_id', '[iptables][id]'],
  frag: ['nf_frag_flags', '[iptables][fragment_flags]'],
  tc: ['nf_tc', '[iptables][tc]:int'],
  hop: ['nf_hoplimit', '[iptables][hop_limit]:int'],
  flow: ['nf_flowlbl', '[iptables][flow_label]'],
  fragOff: ['nf_frag_offset', '[iptables][fragment_offset]:int'],
  proto: ['nf_protocol', '[network][transport]'],
  spt: ['nf_src_port', '[source][port]:int'],
  dpt: ['nf_dst_port', '[destination][port]:int'],
  udpLen: ['nf_udp_len', '[iptables][udp][length]:int'],
  seq: ['nf_tcp_seq', '[iptables][tcp][seq]:int'],
  ack: ['nf_tcp_ack', '[iptables][tcp][ack]:int'],
  window: ['nf_tcp_window', '[iptables][tcp][window]:int'],
  res: ['nf_tcp_res', '[iptables][tcp_reserved_bits]'],
  flags: ['nf_tcp_flags', '[iptables][tcp][flags]'],
  urgp: ['nf_tcp_urgp', '[iptables][tcp][urgp]:int'],
} as const;

function iptables(mode: 0 | 1): Record<string, string> {
  const n = (k: keyof typeof IPTABLES_FIELDS) => IPTABLES_FIELDS[k][mode];
  // legacy keeps the "0x" of TOS/PREC/RES, ECS drops it
  const hex = mode === 0 ? '' : '0x';
  return {
    NETFILTERMAC: `%{COMMONMAC:${n('dstMac')}}:%{COMMONMAC:${n('srcMac')}}(?::%{ETHTYPE:${n('ethType')}})?`,
    IPTABLES_IPV4: `TOS=${hex}%{BASE16NUM:${n('tos')}} PREC=${hex}%{BASE16NUM:${n('prec')}} TTL=%{INT:${n('ttl')}} ID=%{INT:${n('id')}}(?: %{IPTABLES_FRAG_FLAGS:${n('frag')}})?`,
    IPTABLES_IPV6: `TC=%{INT:${n('tc')}} HOPLIMIT=%{INT:${n('hop')}} FLOWLBL=%{INT:${n('flow')}}`,
    IPTABLES_TCP_DETAILS:
      `(?:SEQ=%{INT:${n('seq')}} ACK=%{INT:${n('ack')}} )?WINDOW=%{INT:${n('window')}} RES=${hex}%{BASE16NUM:${n('res')}} ` +
      `%{IPTABLES_TCP_FLAGS:${n('flags')}}URGP=%{INT:${n('urgp')}}`,
    IPTABLES:
      `IN=(?:%{NOTSPACE:${n('in')}})? OUT=(?:%{NOTSPACE:${n('out')}})?(?: MAC=(?:%{NETFILTERMAC})?)? ` +
      `SRC=%{IP:${n('srcIp')}} DST=%{IP:${n('dstIp')}} LEN=%{INT:${n('len')}} (?:%{IPTABLES_IPV4}|%{IPTABLES_IPV6})` +
      `(?: FRAG=%{INT:${n('fragOff')}})? PROTO=%{WORD:${n('proto')}}(?: SPT=%{INT:${n('spt')}} DPT=%{INT:${n('dpt')}})?` +
      `(?: LEN=%{INT:${n('udpLen')}})?(?: %{IPTABLES_TCP_DETAILS})?`,
  };
}

export const firewalls: PatternFamily = {
  name: 'firewalls',
  common: {
    CISCO_ACTION: r`Built|Teardown|Deny|Denied|denied|requested|permitted|denied by ACL|discarded|est-allowed|Dropping|created|deleted`,
    CISCO_REASON: r`Duplicate TCP SYN|Failed to locate egress interface|Invalid transport field|No matching connection|DNS Response|DNS Query|(?:%{WORD}\s*)*`,
    CISCO_DIRECTION: r`Inbound|inbound|Outbound|outbound`,
    CISCO_INTERVAL: r`first hit|%{INT}-second interval`,
    CISCO_XLATE_TYPE: r`static|dynamic`,
    CISCOTIMESTAMP: r`%{MONTH} +%{MONTHDAY}(?: %{YEAR})? %{TIME}`,
    CISCOTAG: r`[A-Z0-9]+-%{INT}-(?:[A-Z0-9_]+)`,
    ETHTYPE: r`(?:[A-Fa-f0-9]{2}):(?:[A-Fa-f0-9]{2})`,
    IPTABLES_FRAG_FLAGS: r`(?:CE|DF|MF)(?: (?:CE|DF|MF))*`,
    // each flag is followed by a space
    IPTABLES_TCP_FLAGS: r`(?:CWR |ECE |URG |ACK |PSH |RST |SYN |FIN )*`,
  },
  legacy: {
    ...ciscoBodies('legacy'),
    CISCO_TAGGED_SYSLOG: r`^<%{POSINT:syslog_pri}>%{CISCOTIMESTAMP:timestamp}(?: %{SYSLOGHOST:sysloghost})? ?: %%{CISCOTAG:ciscotag}:`,
    ...iptables(0),
    SFW2: r`(?:%{SYSLOGTIMESTAMP}|%{TIMESTAMP_ISO8601})\s*%{HOSTNAME}\s*kernel\S+\s*(?:%{NAGIOSTIME}\s*)?SFW2-INext-%{NOTSPACE:nf_action}\s*%{IPTABLES}`,
    SHOREWALL: r`%{SYSLOGTIMESTAMP:timestamp} %{SYSLOGHOST:nf_host} (?:kernel:\s*)?(?:\[\s*%{NUMBER}\]\s*)?Shorewall:(?:%{WORD:nf_action1})?:(?:%{WORD:nf_action2})?:%{IPTABLES}`,
    NETSCREENSESSIONLOG: r`%{SYSLOGTIMESTAMP:date} %{IPORHOST:device} %{IPORHOST}: NetScreen device_id=%{WORD:device_id}%{DATA}: start_time=%{QUOTEDSTRING:start_time} duration=%{INT:duration} policy_id=%{INT:policy_id} service=%{DATA:service} proto=%{INT:proto} src zone=%{WORD:src_zone} dst zone=%{WORD:dst_zone} action=%{WORD:action} sent=%{INT:sent} rcvd=%{INT:rcvd} src=%{IPORHOST:src_ip} dst=%{IPORHOST:dst_ip} src_port=%{INT:src_port} dst_port=%{INT:dst_port} src-xlated ip=%{IPORHOST:src_xlated_ip} port=%{INT:src_xlated_port} dst-xlated ip=%{IPORHOST:dst_xlated_ip} port=%{INT:dst_xlated_port} session_id=%{INT:session_id} reason=%{GREEDYDATA:reason}`,
  },
  ecs: {
    ...ciscoBodies('ecs'),
    CISCO_TAGGED_SYSLOG: r`^<%{POSINT:[log][syslog][priority]:int}>%{CISCOTIMESTAMP:timestamp}(?: %{SYSLOGHOST:[host][hostname]})? ?: %%{CISCOTAG:[cisco][asa][tag]}:`,
    ...iptables(1),
    SFW2: r`(?:%{SYSLOGTIMESTAMP:timestamp}|%{TIMESTAMP_ISO8601:timestamp})\s*%{HOSTNAME:[observer][hostname]}\s*kernel\S+\s*(?:\[\s*%{NUMBER}\]\s*)?(?<[suse][firewall][log_prefix]>SFW2-INext-%{NOTSPACE:[suse][firewall][action]})\s*%{IPTABLES}`,
    SHOREWALL: r`%{SYSLOGTIMESTAMP:timestamp} %{SYSLOGHOST:[observer][hostname]} (?:kernel:\s*)?(?:\[\s*%{NUMBER}\]\s*)?Shorewall:(?:%{WORD:[shorewall][firewall][type]})?:(?:%{WORD:[shorewall][firewall][action]})?:%{IPTABLES}`,
    NETSCREENSESSIONLOG: r`%{SYSLOGTIMESTAMP:timestamp} %{IPORHOST:[observer][hostname]} %{NOTSPACE:[observer][name]}: (?<[observer][product]>NetScreen) device_id=%{WORD:[netscreen][device_id]} .*?(?:system-\w+-%{NONNEGINT:[event][code]}\(%{WORD:[netscreen][session][type]}\))?: start_time="%{DATA:[netscreen][session][start_time]}" duration=%{INT:[netscreen][session][duration]:int} policy_id=%{INT:[netscreen][policy_id]} service=%{DATA:[netscreen][service]} proto=%{INT:[netscreen][protocol_number]:int} src zone=%{WORD:[observer][ingress][zone]} dst zone=%{WORD:[observer][egress][zone]} action=%{WORD:[event][action]} sent=%{INT:[source][bytes]:int} rcvd=%{INT:[destination][bytes]:int} src=%{IPORHOST:[source][address]} dst=%{IPORHOST:[destination][address]}(?: src_port=%{INT:[source][port]:int} dst_port=%{INT:[destination][port]:int})?(?: src-xlated ip=%{IP:[source][nat][ip]} port=%{INT:[source][nat][port]:int} dst-xlated ip=%{IP:[destination][nat][ip]} port=%{INT:[destination][nat][port]:int})?(?: session_id=%{INT:[netscreen][session][id]} reason=%{GREEDYDATA:[netscreen][session][reason]})?`,
  },
};
