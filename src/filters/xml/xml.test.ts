import { describe, expect, it } from 'vitest';
import { xml } from './index.js';
import { compileXPath } from './xpath.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(xml, config), event)[0];

const doc = `<?xml version="1.0"?>
<catalog id="c1">
  <book id="b1" lang="en"><title>XML &amp; You</title><price>10</price><tag>a</tag><tag>b</tag></book>
  <book id="b2"><title>Second &#x263A;</title><price>20</price><empty/></book>
  <note>plain text</note>
</catalog>`;

describe('xml filter', () => {
  it('stores the document in the shape Logstash (XmlSimple, forceArray) gives', async () => {
    const out = await run({ source: 'message', target: 'doc' }, { message: doc });
    expect(out.doc).toEqual({
      id: 'c1',
      book: [
        { id: 'b1', lang: 'en', title: ['XML & You'], price: ['10'], tag: ['a', 'b'] },
        { id: 'b2', title: ['Second ☺'], price: ['20'] },
      ],
      note: ['plain text'],
    });
  });

  it('follows forceArray, forceContent and suppressEmpty', async () => {
    const out = await run({ source: 'm', target: 'd', forceArray: false, forceContent: true, suppressEmpty: false }, { m: '<r><a x="1">t</a><b>u</b><b>v</b><c/></r>' });
    expect(out.d).toEqual({ a: { x: '1', content: 't' }, b: [{ content: 'u' }, { content: 'v' }], c: {} });
  });

  it('extracts XPath values into fields, appending to what is there', async () => {
    const out = await run(
      {
        source: 'message',
        storeXml: false,
        xpath: {
          '/catalog/book/title/text()': 'titles',
          '/catalog/@id': 'catalog_id',
          "//book[@lang='en']/price/text()": 'en_price',
          '//book[2]/@id': 'second',
          '//book[last()]/title': 'last_title',
          '//book[price=\'20\']/@id': 'by_child',
          '/catalog/missing/text()': 'nothing',
        },
      },
      { message: doc, titles: 'existing' },
    );
    expect(out).toMatchObject({
      titles: ['existing', 'XML & You', 'Second ☺'],
      catalog_id: ['c1'],
      en_price: ['10'],
      second: ['b2'],
      last_title: ['<title>Second ☺</title>'],
      by_child: ['b2'],
    });
    expect(out.nothing).toBeUndefined();
    expect(out.doc).toBeUndefined();
  });

  it('drops namespace prefixes on request', async () => {
    const m = '<s:Envelope xmlns:s="urn:x"><s:Body a:k="v" xmlns:a="urn:a"><s:Item>1</s:Item></s:Body></s:Envelope>';
    expect((await run({ source: 'm', target: 'd' }, { m })).d).toEqual({ 'xmlns:s': 'urn:x', 's:Body': [{ 'a:k': 'v', 'xmlns:a': 'urn:a', 's:Item': ['1'] }] });
    const out = await run({ source: 'm', target: 'd', removeNamespaces: true, xpath: { '/Envelope/Body/Item/text()': 'item' } }, { m });
    expect(out.d).toEqual({ Body: [{ k: 'v', Item: ['1'] }] });
    expect(out.item).toEqual(['1']);
  });

  it('tags what is not well-formed and runs success actions only on success', async () => {
    for (const m of ['<a><b></a>', 'not xml', '<a>1</a><b>2</b>', '']) {
      expect(await run({ source: 'm', target: 'd', addTag: ['ok'] }, { m }), m).toEqual({ m, tags: ['_xmlparsefailure'] });
    }
    expect((await run({ source: 'm', target: 'd', addTag: ['ok'] }, { m: '<a>1</a>' })).tags).toEqual(['ok']);
    expect(await run({ source: 'm', target: 'd' }, { x: 1 })).toEqual({ x: 1 });
  });

  describe('hostile documents are refused quickly, never expanded', () => {
    const cases: Record<string, string> = {
      'billion laughs': `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">${Array.from({ length: 8 }, (_, i) => `<!ENTITY lol${i + 3} "${`&lol${i + 2};`.repeat(10)}">`).join('')}]><lolz>&lol9;</lolz>`,
      'external entity': '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>',
      'deep nesting': `${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}`,
      'huge document': `<r>${'x'.repeat(2 * 1024 * 1024)}</r>`,
      'many elements': `<r>${'<i/>'.repeat(150_000)}</r>`,
    };
    for (const [name, m] of Object.entries(cases)) {
      it(name, async () => {
        // Default limits: 1 MiB, depth 64, 100 000 elements. Expanding or recursing would hang or crash the test.
        const [out] = runFilter(await makeFilter(xml, { source: 'm', target: 'd' }), { m });
        expect(out.tags).toEqual(['_xmlparsefailure']);
        expect(out.d).toBeUndefined();
      });
    }
    it('dead-letters instead with onFailure dead_letter', async () => {
      const f = await makeFilter(xml, { source: 'm', target: 'd', onFailure: 'dead_letter' });
      expect(() => runFilter(f, { m: cases['external entity'] })).toThrow(/xml: entity declarations are not accepted/);
    });
  });

  it('refuses XPath outside the subset and a missing target when building', async () => {
    expect(() => compileXPath('count(//a)')).toThrow(/functions and named axes are not supported/);
    expect(() => compileXPath('/a/child::b')).toThrow(/not supported/);
    expect(() => compileXPath('/a[position()>1]')).toThrow(/unsupported predicate/);
    expect(() => compileXPath('/a/text()/b')).toThrow(/last step/);
    await expect(makeFilter(xml, { source: 'm' })).rejects.toThrow(/give a target/);
    await expect(makeFilter(xml, { source: 'm', storeXml: false, xpath: { '//a | //b': 'x' } })).rejects.toThrow(/XPath/);
  });
});
