/** Java stack traces, Tomcat/Catalina logs. */
import { r, type PatternFamily } from './types.js';

export const java: PatternFamily = {
  name: 'java',
  common: {
    JAVACLASS: r`(?:[a-zA-Z$_][a-zA-Z$_0-9]*\.)*[a-zA-Z$_][a-zA-Z$_0-9]*`,
    // a file name, or "Native Method" / "Unknown Source"
    JAVAFILE: r`(?:[a-zA-Z$_0-9. -]+)`,
    JAVAMETHOD: r`(?:<(?:cl)?init>|[a-zA-Z$_][a-zA-Z$_0-9]*)`,
    JAVATHREAD: r`(?:[A-Z]{2}-Processor[0-9]+)`,
    JAVALOGMESSAGE: r`(?:.*)`,
  },
  legacy: {
    JAVASTACKTRACEPART: r`%{SPACE}at %{JAVACLASS:class}\.%{JAVAMETHOD:method}\(%{JAVAFILE:file}(?::%{NUMBER:line})?\)`,
    // "Jan 9, 2014 7:13:13 AM" (the year is written 20YY)
    CATALINA_DATESTAMP: r`%{MONTH} %{MONTHDAY}, 20%{YEAR} %{HOUR}:?%{MINUTE}(?::?%{SECOND}) (?:AM|PM)`,
    CATALINALOG: r`%{CATALINA_DATESTAMP:timestamp} %{JAVACLASS:class} %{JAVALOGMESSAGE:logmessage}`,
    // "2014-01-09 20:03:28,269 -0800"
    TOMCAT_DATESTAMP: r`20%{YEAR}-%{MONTHNUM}-%{MONTHDAY} %{HOUR}:?%{MINUTE}(?::?%{SECOND}) %{ISO8601_TIMEZONE}`,
    TOMCATLOG: r`%{TOMCAT_DATESTAMP:timestamp} \| %{LOGLEVEL:level} \| %{JAVACLASS:class} - %{JAVALOGMESSAGE:logmessage}`,
  },
  ecs: {
    JAVASTACKTRACEPART: r`%{SPACE}at %{JAVACLASS:[java][log][origin][class][name]}\.%{JAVAMETHOD:[log][origin][function]}\(%{JAVAFILE:[log][origin][file][name]}(?::%{INT:[log][origin][file][line]:int})?\)`,
    // Tomcat 7 and earlier: "Jul 31, 2020 4:40:20 PM class method\nLEVEL: message"
    CATALINA7_DATESTAMP: r`%{MONTH} %{MONTHDAY}, %{YEAR} %{HOUR}:%{MINUTE}:%{SECOND} (?:AM|PM)`,
    CATALINA7_LOG: r`%{CATALINA7_DATESTAMP:timestamp} %{JAVACLASS:[java][log][origin][class][name]}(?: %{JAVAMETHOD:[log][origin][function]})?\s*(?:%{LOGLEVEL:[log][level]}:)? %{JAVALOGMESSAGE:message}`,
    // Tomcat 8 and later: "31-Jul-2020 16:40:38.505 INFO [thread] class.method message"
    CATALINA8_DATESTAMP: r`%{MONTHDAY}-%{MONTH}-%{YEAR} %{HOUR}:%{MINUTE}:%{SECOND}`,
    CATALINA8_LOG: r`%{CATALINA8_DATESTAMP:timestamp} %{LOGLEVEL:[log][level]} \[%{DATA:[java][log][origin][thread][name]}\] %{JAVACLASS:[java][log][origin][class][name]}\.(?:%{JAVAMETHOD:[log][origin][function]})? %{JAVALOGMESSAGE:message}`,
    CATALINA_DATESTAMP: r`(?:%{CATALINA8_DATESTAMP})|(?:%{CATALINA7_DATESTAMP})`,
    CATALINALOG: r`(?:%{CATALINA8_LOG})|(?:%{CATALINA7_LOG})`,
    // the "2014-01-09 20:03:28,269 -0800 | LEVEL | class - message" layout
    TOMCATLEGACY_DATESTAMP: r`%{YEAR}-%{MONTHNUM}-%{MONTHDAY} %{HOUR}:%{MINUTE}:%{SECOND}(?: %{ISO8601_TIMEZONE})?`,
    TOMCATLEGACY_LOG: r`%{TOMCATLEGACY_DATESTAMP:timestamp} \| %{LOGLEVEL:[log][level]} \| %{JAVACLASS:[java][log][origin][class][name]} - %{JAVALOGMESSAGE:message}`,
    TOMCAT7_LOG: r`%{CATALINA7_LOG}`,
    TOMCAT8_LOG: r`%{CATALINA8_LOG}`,
    TOMCAT_DATESTAMP: r`(?:%{CATALINA8_DATESTAMP})|(?:%{CATALINA7_DATESTAMP})|(?:%{TOMCATLEGACY_DATESTAMP})`,
    TOMCATLOG: r`(?:%{TOMCAT8_LOG})|(?:%{TOMCAT7_LOG})|(?:%{TOMCATLEGACY_LOG})`,
  },
};
