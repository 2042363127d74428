import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { csv, parseCsvLine } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(csv, config), event);

describe('csv filter', () => {
  it('parses RFC 4180 quoting', () => {
    expect(parseCsvLine('a,"b,c","say ""hi""",,""', ',', '"')).toEqual(['a', 'b,c', 'say "hi"', null, '']);
    expect(parseCsvLine('"multi\nline",x\r\n', ',', '"')).toEqual(['multi\nline', 'x']);
    expect(parseCsvLine('a"b,c', ',', '"')).toEqual(['a"b', 'c']);
    expect(parseCsvLine('"open,b', ',', '"')).toBeNull();
    expect(parseCsvLine('"closed"junk,b', ',', '"')).toBeNull();
    expect(parseCsvLine('a||b||', '||', '"')).toEqual(['a', 'b', null]);
  });

  it('names columns, autogenerates the rest and converts', async () => {
    const [out] = await run(
      { columns: ['time', 'client.ip', 'status'], convert: { status: 'integer', column5: 'float' } },
      { message: '2020-01-01,10.0.0.1,404,extra,1.5' },
    );
    expect(out).toMatchObject({ time: '2020-01-01', client: { ip: '10.0.0.1' }, status: 404, column4: 'extra', column5: 1.5 });
    const [noGen] = await run({ columns: ['a'], autogenerateColumnNames: false }, { message: 'x,y,z' });
    expect(noGen).toEqual({ message: 'x,y,z', a: 'x' });
  });

  it('parses loghub structured CSV rows (quoted content with commas)', async () => {
    // from /work/shared/corpus/loghub/Linux/Linux_2k.log_structured.csv
    const columns = ['LineId', 'Month', 'Date', 'Time', 'Level', 'Component', 'PID', 'Content', 'EventId', 'EventTemplate'];
    const line = '1748,Jul,24,02:38:23,combo,ftpd,16781,"ANONYMOUS FTP LOGIN FROM 84.102.20.2,  (anonymous)",E9,"ANONYMOUS FTP LOGIN FROM <*>,  (anonymous)"';
    const [out] = await run({ columns, convert: { PID: 'integer', LineId: 'integer' }, target: 'row' }, { message: line });
    expect(out.row).toEqual({
      LineId: 1748, Month: 'Jul', Date: '24', Time: '02:38:23', Level: 'combo', Component: 'ftpd', PID: 16781,
      Content: 'ANONYMOUS FTP LOGIN FROM 84.102.20.2,  (anonymous)', EventId: 'E9', EventTemplate: 'ANONYMOUS FTP LOGIN FROM <*>,  (anonymous)',
    });
  });

  const corpus = path.resolve(process.cwd(), '../shared/corpus/loghub');
  it.skipIf(!fs.existsSync(corpus))('parses every loghub structured CSV row into its header columns (skipped without ../shared/corpus)', async () => {
    for (const system of ['Linux', 'Mac', 'OpenStack', 'Windows', 'Zookeeper', 'Hadoop', 'Android']) {
      const lines = fs.readFileSync(path.join(corpus, system, `${system}_2k.log_structured.csv`), 'utf8').split('\n').filter((l) => l !== '');
      const columns = parseCsvLine(lines[0], ',', '"') as string[];
      const f = await makeFilter(csv, { columns, skipHeader: true, target: 'row' });
      expect(runFilter(f, { message: lines[0] })).toEqual([]);
      const bad = lines.slice(1).filter((line) => {
        const [out] = runFilter(f, { message: line });
        return out.tags !== undefined || Object.keys(out.row as object).join() !== columns.join();
      });
      expect(bad, system).toEqual([]);
    }
  });

  it('handles separators, quote characters, empty columns, header and empty rows', async () => {
    const [tsv] = await run({ separator: '\t', columns: ['a', 'b', 'c'], quoteChar: "'" }, { message: "1\t'x\ty'\t" });
    expect(tsv).toMatchObject({ a: '1', b: 'x\ty', c: null });
    const [skipped] = await run({ columns: ['a', 'b', 'c'], skipEmptyColumns: true }, { message: ',x,""' });
    expect(skipped).toEqual({ message: ',x,""', b: 'x' });
    expect(await run({ columns: ['a', 'b'], skipHeader: true }, { message: 'a,b' })).toEqual([]);
    expect(await run({ skipEmptyRows: true }, { message: ',,' })).toEqual([]);
    expect(await run({ columns: ['a', 'b'] }, { message: 'a,b' })).toEqual([{ message: 'a,b', a: 'a', b: 'b' }]);
  });

  it('tags malformed lines', async () => {
    const [out] = await run({ columns: ['a'] }, { message: '"unterminated' });
    expect(out).toEqual({ message: '"unterminated', tags: ['_csvparsefailure'] });
    const [num] = await run({}, { message: 42 });
    expect(num.tags).toEqual(['_csvparsefailure']);
  });

  it('refuses hostile column names', async () => {
    await expect(makeFilter(csv, { columns: ['__proto__'] })).rejects.toThrow(/not allowed/);
  });
});
