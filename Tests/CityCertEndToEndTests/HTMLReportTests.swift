import CityCertTestSupport
import Foundation
import Testing

/// The HTML report in a real browser: Debian's Chromium, headless (`.ci/setup` installs it). The DOM it
/// builds is checked with JavaScript on and off (everything is there without the script), hostile text
/// from the data stays text, and screenshots at phone and desktop widths are not blank.
@Suite(.serialized) struct HTMLReportTests {
    static let chromium: String? = {
        if let p = ProcessInfo.processInfo.environment["CITYCERT_CHROMIUM"] { return p }
        return ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
    /// In CI (.ci/run sets CI) the browser must be there: a missing one fails instead of skipping.
    static let required = chromium != nil || ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } == true

    static func browser(_ arguments: [String]) async throws -> Subprocess.Result {
        let path = try #require(chromium, "CI must provide Chromium: .ci/setup installs Debian's chromium")
        // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
        return try await Subprocess.run(
            path, ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"] + arguments,
            timeout: 90)
    }

    /// A run with a waived failure, a warning, a skip and hostile text in a finding.
    static func report(in dir: String) async throws -> String {
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try """
        \(InlineProfile.head())
        requirements:
          - id: R-1
            title: every document has a number a
            clause: "§1"
            url: https://example.org/spec#s1
            quote: The member a shall be a number.
            level: MUST
            checks:
              - name: a
                data: {files: ["**/*.json"], assert: [{path: $.a, type: number}]}
          - id: R-2
            title: b is a date-time
            clause: "§2"
            level: SHOULD
            checks:
              - name: b
                data: {files: ["**/*.json"], assert: [{path: $.b, format: date-time}]}
          - id: R-3
            title: needs R-1
            clause: "§3"
            level: MUST
            needs: [R-1]
            checks:
              - name: c
                data: {files: ["**/*.json"], assert: [{path: $.a, exists: true}]}
        """.write(toFile: dir + "/profile.yaml", atomically: true, encoding: .utf8)
        try """
        {"a": "x", "b": "<img src=x onerror=\\"document.title='pwned'\\"><script>document.title='pwned'</script>"}
        """.write(toFile: dir + "/data/one.json", atomically: true, encoding: .utf8)
        try """
        waivers:
          - {requirement: R-1, reason: "accepted <b>for now</b>", approved_by: Jane Roe, expires: 2999-01-01}
        """.write(toFile: dir + "/waivers.yaml", atomically: true, encoding: .utf8)
        let out = try await CityCertBinary.run([
            "run", dir + "/profile.yaml", dir + "/data", "--waivers", dir + "/waivers.yaml", "--report-html",
            dir + "/report.html",
        ])
        #expect(out.status == 1, "R-3 is skipped because its need failed: \(out.stdout)")
        return dir + "/report.html"
    }

    @Test(.enabled(if: required, "needs Chromium (Debian's chromium): .ci/setup installs it"))
    func theBrowserShowsEverythingWithAndWithoutJavaScript() async throws {
        let dir = NSTemporaryDirectory() + "citycert-html-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let html = try await Self.report(in: dir)
        let url = URL(fileURLWithPath: html).absoluteString

        let on = try await Self.browser(["--dump-dom", url])
        #expect(on.status == 0, "\(on.stderr)")
        let dom = on.stdout
        for needle in [
            "id=\"verdict\"", "NOT CONFORMANT", "id=\"req-R-1\"", "id=\"req-R-2\"", "id=\"req-R-3\"", "id=\"fingerprint\"",
            "id=\"waivers\"", "waived: accepted &lt;b&gt;for now&lt;/b&gt; (approved by Jane Roe, until 2999-01-01)",
            "href=\"https://example.org/spec#s1\"", "The member a shall be a number.",
        ] {
            #expect(dom.contains(needle), "\(needle) missing from the DOM")
        }
        // The script ran (its search box exists) and the hostile text did not: no title change, no element.
        #expect(dom.contains("id=\"search\""), "the inline script did not run (Content-Security-Policy hash?)")
        #expect(!dom.contains("pwned</title>") && dom.contains("<title>NOT CONFORMANT: t 1</title>"))
        #expect(dom.components(separatedBy: "<script").count == 2, "one script element, the report's own")
        #expect(!dom.contains("<img"))
        #expect(dom.contains("&lt;img src=x onerror="))

        // Without JavaScript: headless Chromium cannot dump a page whose scripts are disabled, so the page
        // is loaded with its one script removed (the same document a browser with JavaScript off shows).
        let text = try String(contentsOfFile: html, encoding: .utf8)
        let start = try #require(text.range(of: "<script>")), end = try #require(text.range(of: "</script>"))
        let noScript = dir + "/no-script.html"
        try (String(text[..<start.lowerBound]) + String(text[end.upperBound...])).write(
            toFile: noScript, atomically: true, encoding: .utf8)
        let off = try await Self.browser(["--dump-dom", URL(fileURLWithPath: noScript).absoluteString])
        #expect(off.status == 0)
        #expect(!off.stdout.contains("id=\"search\""), "the script was not removed")
        for needle in [
            "id=\"req-R-1\"", "id=\"req-R-2\"", "id=\"req-R-3\"", "id=\"fingerprint\"", "one.json:1:", "id=\"summary\"",
            "waived: accepted",
        ] {
            #expect(off.stdout.contains(needle), "\(needle) missing without JavaScript")
        }
        // Nothing starts hidden: only the script hides what a filter leaves out.
        #expect(!text.contains("class=\"hidden\"") && !text.contains("display:none\"") && !text.contains(" hidden"))
    }

    /// Layout sanity: at a phone's width and a desktop's, the page renders to a screenshot that is not a
    /// blank page (a blank page of the same size compresses to a small fraction of it).
    @Test(.enabled(if: required, "needs Chromium (Debian's chromium): .ci/setup installs it"))
    func screenshotsAtPhoneAndDesktopWidthsAreNotBlank() async throws {
        let dir = NSTemporaryDirectory() + "citycert-html-shot-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let html = try await Self.report(in: dir)
        try "<!DOCTYPE html><html><body></body></html>".write(toFile: dir + "/blank.html", atomically: true, encoding: .utf8)
        for size in ["390,1200", "1280,1200"] {
            var bytes: [String: Int] = [:]
            for (name, page) in [("report", html), ("blank", dir + "/blank.html")] {
                let png = "\(dir)/\(name)-\(size.replacingOccurrences(of: ",", with: "x")).png"
                let out = try await Self.browser([
                    "--screenshot=\(png)", "--window-size=\(size)", URL(fileURLWithPath: page).absoluteString,
                ])
                #expect(out.status == 0, "\(out.stderr)")
                let data = try Data(contentsOf: URL(fileURLWithPath: png))
                #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG")
                bytes[name] = data.count
            }
            #expect((bytes["report"] ?? 0) > 10 * (bytes["blank"] ?? 1), "\(size): \(bytes)")
        }
    }
}
