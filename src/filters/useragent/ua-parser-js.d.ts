// Types for ua-parser-js 1.x (the package ships none). Only what the useragent filter uses.
declare module 'ua-parser-js' {
  interface UAResult {
    ua: string;
    browser: { name?: string; version?: string; major?: string };
    engine: { name?: string; version?: string };
    os: { name?: string; version?: string };
    device: { vendor?: string; model?: string; type?: string };
    cpu: { architecture?: string };
  }
  class UAParser {
    constructor(ua?: string);
    setUA(ua: string): this;
    getResult(): UAResult;
  }
  export default UAParser;
}
