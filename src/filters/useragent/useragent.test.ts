import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useragent } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const parse = async (ua: string) => {
  const f = await makeFilter(useragent, {});
  return runFilter(f, { user_agent: { original: ua } })[0].user_agent as Record<string, unknown>;
};

describe('useragent filter', () => {
  it('parses desktop browsers into ECS fields, keeping user_agent.original', async () => {
    // from /work/shared/corpus/apache-access/access.log
    const ua = 'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.107 Safari/537.36';
    expect(await parse(ua)).toEqual({
      original: ua,
      name: 'Chrome',
      version: '32.0.1700.107',
      os: { name: 'Windows', version: '7', full: 'Windows 7' },
      device: { name: 'Other' },
    });
    expect(await parse('Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:27.0) Gecko/20100101 Firefox/27.0')).toMatchObject({
      name: 'Firefox',
      version: '27.0',
      os: { name: 'Ubuntu' },
    });
  });

  it('parses mobile devices', async () => {
    expect(await parse('Mozilla/5.0 (iPhone; CPU iPhone OS 14_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.1.1 Mobile/15E148 Safari/604.1')).toMatchObject({
      name: 'Mobile Safari',
      version: '14.1.1',
      os: { name: 'iOS', version: '14.6', full: 'iOS 14.6' },
      device: { name: 'iPhone' },
    });
    expect(await parse('Mozilla/5.0 (Linux; Android 10; SM-G960F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.120 Mobile Safari/537.36')).toMatchObject({
      name: 'Chrome',
      os: { name: 'Android', version: '10' },
      device: { name: 'Samsung SM-G960F' },
    });
  });

  it('recognises crawlers, even behind a browser string, and plain tools', async () => {
    expect(await parse('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')).toMatchObject({ name: 'Googlebot', version: '2.1', device: { name: 'Spider' } });
    expect(
      await parse('Mozilla/5.0 (iPhone; CPU iPhone OS 6_0 like Mac OS X) AppleWebKit/536.26 (KHTML, like Gecko) Version/6.0 Mobile/10A5376e Safari/8536.25 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'),
    ).toMatchObject({ name: 'Googlebot', device: { name: 'Spider' }, os: { name: 'iOS' } });
    expect(await parse('Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)')).toMatchObject({ name: 'Slurp', device: { name: 'Spider' } });
    expect(await parse('msnbot/2.0b (+http://search.msn.com/msnbot.htm)')).toMatchObject({ name: 'msnbot', device: { name: 'Spider' } });
    expect(await parse('Mozilla/5.0 (compatible; archive.org_bot +http://www.archive.org/details/archive.org_bot)')).toMatchObject({ name: 'archive.org_bot' });
    expect(await parse('Feedfetcher-Google; (+http://www.google.com/feedfetcher.html; 22 subscribers; feed-id=8321906634162087507)')).toMatchObject({ name: 'Feedfetcher-Google', device: { name: 'Spider' } });
    expect(await parse('curl/7.68.0')).toEqual({ original: 'curl/7.68.0', name: 'curl', version: '7.68.0', os: { name: 'Other' }, device: { name: 'Other' } });
    expect(await parse('Tiny Tiny RSS/1.11 (http://tt-rss.org/)')).toMatchObject({ name: 'Tiny Tiny RSS', version: '1.11' });
    expect(await parse('Mozilla/5.0 (compatible; Ezooms/1.0; help@moz.com)')).toMatchObject({ name: 'Ezooms', version: '1.0' });
  });

  it('reports unknown agents as Other', async () => {
    expect(await parse('-')).toEqual({ original: '-', name: 'Other', os: { name: 'Other' }, device: { name: 'Other' } });
  });

  it('uses other fields and targets, gives each event its own objects, ignores non-strings', async () => {
    const f = await makeFilter(useragent, { field: 'agent', target: 'ua', cacheSize: 1 });
    const ua = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:89.0) Gecko/20100101 Firefox/89.0';
    const [a] = runFilter(f, { agent: ua });
    ((a.ua as Record<string, unknown>).os as Record<string, unknown>).name = 'changed';
    const [b] = runFilter(f, { agent: ua });
    expect(b.ua).toEqual({ name: 'Firefox', version: '89.0', os: { name: 'Windows', version: '10', full: 'Windows 10' }, device: { name: 'Other' } });
    expect(runFilter(f, { agent: 5 })[0]).toEqual({ agent: 5 });
    expect(runFilter(f, {})[0]).toEqual({});
  });

  const corpus = path.resolve(process.cwd(), '../shared/corpus/apache-access/access.log');
  it.skipIf(!fs.existsSync(corpus))('names the browser of most access-log agents (skipped without ../shared/corpus)', async () => {
    const f = await makeFilter(useragent, { field: 'agent', target: 'ua' });
    const agents = fs.readFileSync(corpus, 'utf8').split('\n').filter(Boolean).map((l) => l.split('"')[5]);
    let other = 0;
    for (const agent of agents) if ((runFilter(f, { agent })[0].ua as Record<string, unknown>).name === 'Other') other++;
    // "-" agents (about 2%) and a few exotic ones stay Other.
    expect(other / agents.length).toBeLessThan(0.05);
  });
});
