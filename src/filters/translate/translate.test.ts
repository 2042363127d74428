import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translate } from './index.js';
import { makeFilter, runFilter, testContext } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(translate, config), event)[0];

describe('translate filter', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-translate-'));
    fs.writeFileSync(path.join(dir, 'codes.json'), JSON.stringify({ '200': 'OK', '404': 'Not Found', geo: { country: 'FR' } }));
    fs.writeFileSync(path.join(dir, 'codes.csv'), '500,Internal Server Error\n"503","Service, Unavailable"\n\n');
    fs.writeFileSync(path.join(dir, 'bad.csv'), 'onlyonecolumn\n');
    fs.writeFileSync(path.join(dir, 'bad.json'), '[1,2]');
    fs.writeFileSync(path.join(dir, 'dict.yaml'), 'a: b');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('translates exact values from an inline dictionary, numbers included', async () => {
    const cfg = { field: 'status', target: 'status_text', dictionary: { '200': 'OK', '404': 'Not Found' } };
    expect((await run(cfg, { status: 404 })).status_text).toBe('Not Found');
    expect((await run(cfg, { status: '200' })).status_text).toBe('OK');
    expect(await run(cfg, { status: 418 })).toEqual({ status: 418 });
  });

  it('uses a templated fallback and respects override', async () => {
    const cfg = { field: 'status', target: 'text', dictionary: { '200': 'OK' }, fallback: 'unknown %{status}' };
    expect((await run(cfg, { status: 418 })).text).toBe('unknown 418');
    expect((await run(cfg, { status: 200, text: 'keep' })).text).toBe('keep');
    expect((await run({ ...cfg, override: true }, { status: 200, text: 'keep' })).text).toBe('OK');
  });

  it('loads JSON and CSV dictionary files relative to the pipeline directory', async () => {
    const ctx = testContext({ baseDir: dir });
    const json = await makeFilter(translate, { field: 'c', target: 't', dictionaryPath: 'codes.json' }, ctx);
    expect(runFilter(json, { c: 200 })[0].t).toBe('OK');
    const [obj] = runFilter(json, { c: 'geo' });
    expect(obj.t).toEqual({ country: 'FR' });
    (obj.t as Record<string, unknown>).country = 'changed';
    expect(runFilter(json, { c: 'geo' })[0].t).toEqual({ country: 'FR' });
    const csv = await makeFilter(translate, { field: 'c', target: 't', dictionaryPath: 'codes.csv', dictionary: { '500': 'inline loses' } }, ctx);
    expect(runFilter(csv, { c: '500' })[0].t).toBe('Internal Server Error');
    expect(runFilter(csv, { c: '503' })[0].t).toBe('Service, Unavailable');
  });

  it('matches regular expression keys in order', async () => {
    const cfg = { field: 'ua', target: 'kind', regex: true, dictionary: { '^curl/': 'cli', 'bot|spider': 'crawler', '.*': 'other' } };
    expect((await run(cfg, { ua: 'curl/7.68.0' })).kind).toBe('cli');
    expect((await run(cfg, { ua: 'Googlebot/2.1' })).kind).toBe('crawler');
    expect((await run(cfg, { ua: 'Mozilla' })).kind).toBe('other');
  });

  it('replaces substrings when not exact', async () => {
    const cfg = { field: 'm', target: 'm2', exact: false, dictionary: { cat: 'dog', category: 'class' } };
    expect((await run(cfg, { m: 'a category of cat' })).m2).toBe('a class of dog');
    expect(await run(cfg, { m: 'nothing' })).toEqual({ m: 'nothing' });
    const rx = { field: 'm', target: 'm2', exact: false, regex: true, dictionary: { '\\d+': 'N', 'x+': 'X' } };
    expect((await run(rx, { m: 'a1 b22 xxx' })).m2).toBe('aN bN X');
  });

  it('translates arrays element by element', async () => {
    const cfg = { field: 'codes', target: 'names', dictionary: { a: 'Alpha', b: 'Beta' } };
    expect((await run(cfg, { codes: ['a', 'z', 'b'] })).names).toEqual(['Alpha', null, 'Beta']);
    expect((await run({ ...cfg, fallback: '?' }, { codes: ['z'] })).names).toEqual(['?']);
  });

  it('rejects bad configuration at create()', async () => {
    const ctx = testContext({ baseDir: dir });
    await expect(makeFilter(translate, { field: 'a' })).rejects.toThrow(/dictionary/);
    await expect(makeFilter(translate, { field: 'a', dictionaryPath: 'missing.json' }, ctx)).rejects.toThrow(/cannot read/);
    await expect(makeFilter(translate, { field: 'a', dictionaryPath: 'bad.csv' }, ctx)).rejects.toThrow(/line 1/);
    await expect(makeFilter(translate, { field: 'a', dictionaryPath: 'bad.json' }, ctx)).rejects.toThrow(/JSON object/);
    await expect(makeFilter(translate, { field: 'a', dictionaryPath: 'dict.yaml' }, ctx)).rejects.toThrow(/\.json or \.csv/);
    await expect(makeFilter(translate, { field: 'a', regex: true, dictionary: { '(': 'x' } })).rejects.toThrow(/invalid regular expression/);
  });
});
