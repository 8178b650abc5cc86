package jarmanifest

import (
	"regexp"
	"sort"
	"strings"
)

// known maps a Bundle-SymbolicName or Automatic-Module-Name (lower case)
// to the one Maven artifact that publishes it. Names shared by several
// artifacts (bcprov's org.bouncycastle.provider: jdk15on, jdk18on,
// jdk15to18) are left out on purpose.
var known = map[string]string{}

// knownTitles maps an Implementation-Title to its artifact where the title
// is the artifactId of one project's jars: Spring 4 jars carry no module
// name (Debian's spring-beans: Implementation-Title spring-beans only).
var knownTitles = map[string]string{}

func init() {
	for _, m := range []string{"aop", "beans", "context", "context-support", "core", "expression", "jcl", "jdbc",
		"jms", "messaging", "orm", "oxm", "tx", "web", "webflux", "webmvc", "websocket"} {
		coord := "org.springframework:spring-" + m
		dotted := strings.ReplaceAll(m, "-", ".")
		known["spring."+dotted] = coord              // Automatic-Module-Name (Spring 5+)
		known["org.springframework."+dotted] = coord // Bundle-SymbolicName (Spring 3/4 OSGi builds)
		knownTitles["spring-"+m] = coord             // Implementation-Title (every Spring jar)
	}
	for name, coord := range map[string]string{
		"org.apache.logging.log4j":                       "org.apache.logging.log4j:log4j-api",
		"org.apache.logging.log4j.api":                   "org.apache.logging.log4j:log4j-api",
		"org.apache.logging.log4j.core":                  "org.apache.logging.log4j:log4j-core",
		"com.fasterxml.jackson.databind":                 "com.fasterxml.jackson.core:jackson-databind",
		"com.fasterxml.jackson.core.jackson-databind":    "com.fasterxml.jackson.core:jackson-databind",
		"com.fasterxml.jackson.core":                     "com.fasterxml.jackson.core:jackson-core",
		"com.fasterxml.jackson.core.jackson-core":        "com.fasterxml.jackson.core:jackson-core",
		"com.fasterxml.jackson.annotation":               "com.fasterxml.jackson.core:jackson-annotations",
		"com.fasterxml.jackson.core.jackson-annotations": "com.fasterxml.jackson.core:jackson-annotations",
		"org.yaml.snakeyaml":                             "org.yaml:snakeyaml",
		"com.google.common":                              "com.google.guava:guava",
		"com.google.guava":                               "com.google.guava:guava",
		"com.google.gson":                                "com.google.code.gson:gson",
		"org.slf4j":                                      "org.slf4j:slf4j-api",
		"slf4j.api":                                      "org.slf4j:slf4j-api",
		"ch.qos.logback.classic":                         "ch.qos.logback:logback-classic",
		"ch.qos.logback.core":                            "ch.qos.logback:logback-core",
		"org.jsoup":                                      "org.jsoup:jsoup",
		"org.apache.commons.lang3":                       "org.apache.commons:commons-lang3",
		"org.apache.commons.commons-lang3":               "org.apache.commons:commons-lang3",
		"org.apache.commons.io":                          "commons-io:commons-io",
		"org.apache.commons.commons-io":                  "commons-io:commons-io",
		"org.apache.httpcomponents.httpclient":           "org.apache.httpcomponents:httpclient",
		"org.apache.httpcomponents.httpcore":             "org.apache.httpcomponents:httpcore",
		"com.github.jknack.handlebars":                   "com.github.jknack:handlebars",
		"org.ops4j.pax.logging.pax-logging-log4j2":       "org.ops4j.pax.logging:pax-logging-log4j2",
	} {
		known[name] = coord
	}
}

// reFileName splits "spring-beans-5.3.20.jar" into artifact and version.
var reFileName = regexp.MustCompile(`^(.+?)-(\d+(?:\.\d+)*(?:[.-][0-9A-Za-z]+)*)\.(?:jar|war|ear)$`)

type identity struct {
	group, artifact, version string
	evidence                 []string
	library                  bool   // the jar says it is a library (name or version)
	identity                 string // what it says, for an unidentified one
}

// identify reads the manifest's main section h (keys lower case; nil:
// none) and the file name.
func identify(h map[string]string, file string) identity {
	get := func(k string) string {
		v := strings.TrimSpace(h[strings.ToLower(k)])
		if k == "Bundle-SymbolicName" {
			v, _, _ = strings.Cut(v, ";") // ";singleton:=true"
			v = strings.TrimSpace(v)
		}
		return v
	}
	var id identity
	var said []string
	for _, k := range []string{"Bundle-SymbolicName", "Automatic-Module-Name", "Implementation-Title", "Implementation-Version", "Bundle-Version"} {
		if v := get(k); v != "" {
			said = append(said, k+" "+v)
		}
	}
	fileArtifact, fileVersion := "", ""
	if m := reFileName.FindStringSubmatch(file); m != nil {
		fileArtifact, fileVersion = m[1], m[2]
	}
	said = append(said, "file name "+file)
	id.library = len(said) > 1 || fileVersion != ""
	id.identity = strings.Join(said, ", ")

	coords := map[string][]string{}
	for _, k := range []string{"Bundle-SymbolicName", "Automatic-Module-Name"} {
		if c, ok := known[strings.ToLower(get(k))]; ok {
			coords[c] = append(coords[c], k)
		}
	}
	if c, ok := knownTitles[strings.ToLower(get("Implementation-Title"))]; ok {
		coords[c] = append(coords[c], "Implementation-Title")
	}
	if len(coords) != 1 {
		return id // none known, or two that disagree
	}
	for c, ks := range coords {
		id.group, id.artifact, _ = strings.Cut(c, ":")
		id.evidence = ks
	}
	switch {
	case get("Implementation-Version") != "":
		id.version = get("Implementation-Version")
		id.evidence = append(id.evidence, "Implementation-Version")
	case get("Bundle-Version") != "":
		id.version = get("Bundle-Version")
		id.evidence = append(id.evidence, "Bundle-Version")
	case fileVersion != "" && fileArtifact == id.artifact:
		id.version = fileVersion
		id.evidence = append(id.evidence, "file-name")
	}
	sort.Strings(id.evidence)
	return id
}
