public import CityCertCore
import Foundation

/// The report a person reads: one self-contained HTML file (no network, no external file), readable on a
/// phone and printable. The verdict and the counts come first, then the requirements that did not pass,
/// then the rest, each with its level, clause (linked), quote and evidence (exchanges with headers and
/// body excerpts, data findings at file:line:col), the waivers and the fingerprint. Everything is in the
/// document itself: with JavaScript off it is all there; the small inline script only adds a search box
/// and outcome filters. Every text from the target, the data or the profile is escaped, and the page's
/// Content-Security-Policy allows nothing but its own style and that one script.
public enum HTMLReport {
    public static func render(_ r: RunReport) -> [UInt8] {
        var h = ""
        let verdict = r.conformant ? "CONFORMANT" : "NOT CONFORMANT"
        let scriptHash = Data(SHA256.digest(Array(script.utf8))).base64EncodedString()
        h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h +=
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-\(scriptHash)'\">\n"
        h += "<meta name=\"generator\" content=\"citycert \(esc(r.toolVersion))\">\n"
        h +=
            "<title>\(verdict): \(esc(r.profile.id)) \(esc(r.profile.version))</title>\n<style>\(style)</style>\n</head>\n<body>\n"
        h += "<header>\n<h1 id=\"verdict\" class=\"\(r.conformant ? "ok" : "bad")\">\(verdict)</h1>\n"
        h += "<p class=\"why\">\(esc(ConsoleReport.verdict(r)))</p>\n<dl class=\"facts\">\n"
        func fact(_ k: String, _ v: String, id: String? = nil) {
            h += "<dt>\(esc(k))</dt><dd\(id.map { " id=\"\($0)\"" } ?? "")>\(v)</dd>\n"
        }
        fact("Profile", "\(esc(r.profile.id)) \(esc(r.profile.version)): \(esc(r.profile.title))")
        let standard = "\(esc(r.profile.standardName)) \(esc(r.profile.standardVersion))"
        fact("Standard", r.profile.standardURL.flatMap(link).map { "<a href=\"\($0)\">\(standard)</a>" } ?? standard)
        for (k, v) in r.target.sorted(by: { $0.key < $1.key }) { fact("Target: \(k)", "<code>\(esc(v))</code>") }
        fact("Run", "\(esc(Timestamp.iso(r.started))) to \(esc(Timestamp.iso(r.finished))), citycert \(esc(r.toolVersion))")
        fact("Fails on", "\(r.failOn.rawValue) and above" + (r.readOnly ? "; read-only" : ""))
        if r.insecure { fact("TLS", "<strong class=\"bad\">verification OFF (--insecure)</strong>") }
        if let s = r.interrupted {
            fact("Interrupted", "<strong class=\"bad\">by \(esc(s))</strong>: what did not run was not judged")
        }
        if let f = r.fingerprint {
            fact(
                "Fingerprint",
                "<code>sha256:\(f.digest)</code> (\(f.files(.profile).count) profile file(s), \(f.files(.data).count) data file(s))",
                id: "fingerprint")
        }
        h += "</dl>\n</header>\n<main>\n"

        h += "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"scroll\"><table>\n"
        h += "<tr><th>outcome</th>" + Level.allCases.map { "<th>\($0.rawValue)</th>" }.joined() + "<th>all</th></tr>\n"
        for o in Outcome.allCases {
            h += "<tr><td><span class=\"badge \(o.rawValue)\">\(o.rawValue)</span></td>"
            h += Level.allCases.map { "<td>\(r.count(o, level: $0))</td>" }.joined() + "<td>\(r.count(o))</td></tr>\n"
        }
        h += "</table></div>\n"
        if !r.classes.isEmpty {
            h += "<div class=\"scroll\"><table id=\"classes\">\n<tr><th>conformance class</th><th>verdict</th></tr>\n"
            for c in r.classes {
                let title = c.uri.flatMap(link).map { "<a href=\"\($0)\">\(esc(c.title))</a>" } ?? esc(c.title)
                let verdict = r.verdict(of: c)
                let badge = verdict == .conformant ? "passed" : verdict == .notConformant ? "failed" : "not-applicable"
                h +=
                    "<tr><td><code>\(esc(c.id))</code> \(title)</td><td><span class=\"badge \(badge)\">\(esc(verdict.rawValue))</span> "
                h +=
                    esc(String(ConsoleReport.classLine(c, r).dropFirst(verdict.rawValue.count)).trimmingPrefixSpaces())
                    + "</td></tr>\n"
            }
            h += "</table></div>\n"
        }
        if let c = r.coverage { h += "<p id=\"coverage\">\(esc(ConsoleReport.coverage(c).first ?? ""))</p>\n" }
        let notRun = r.notRun
        if !notRun.isEmpty {
            h +=
                "<p class=\"partial\"><strong>Partial run:</strong> \(notRun.count) requirement(s) not run, so the verdict covers only what ran.</p>\n<ul>\n"
            for n in notRun { h += "<li><code>\(esc(n.id))</code> \(n.level.rawValue): \(esc(n.reason))</li>\n" }
            h += "</ul>\n"
        }
        h += "</section>\n"

        if !r.waivers.isEmpty {
            h += "<section id=\"waivers\">\n<h2>Waivers</h2>\n<div class=\"scroll\"><table>\n"
            h += "<tr><th>requirement</th><th>status</th><th>reason</th><th>approved by</th><th>until</th></tr>\n"
            for u in r.waivers {
                let reason = esc(u.waiver.reason) + (u.waiver.link.flatMap(link).map { " (<a href=\"\($0)\">link</a>)" } ?? "")
                h += "<tr><td><code>\(esc(u.waiver.requirement))</code></td><td>\(u.status.rawValue)"
                h += u.requirements.isEmpty ? "" : ": " + esc(u.requirements.joined(separator: ", "))
                h += "</td><td>\(reason)</td><td>\(esc(u.waiver.approvedBy))</td><td>\(esc(u.waiver.expires))</td></tr>\n"
            }
            h += "</table></div>\n</section>\n"
        }

        h += "<section id=\"requirements\">\n<h2>Requirements</h2>\n<div id=\"controls\"></div>\n"
        // What needs attention first (failed, waived, error, skipped), then the rest; profile order within.
        let rank: [Outcome: Int] = [.failed: 0, .error: 1, .waived: 2, .skipped: 3, .passed: 4, .notApplicable: 5]
        let ordered = r.requirements.enumerated().sorted { a, b in
            (rank[a.element.outcome] ?? 9, a.offset) < (rank[b.element.outcome] ?? 9, b.offset)
        }
        for (_, q) in ordered { h += requirement(q, r) }
        h += "</section>\n"

        if let f = r.fingerprint {
            h += "<section id=\"files\">\n<h2>What the verdict rests on</h2>\n"
            h +=
                "<p>Digest <code>sha256:\(f.digest)</code>: the SHA-256 of the fingerprint below in RFC 8785 form (see the JSON report).</p>\n"
            h += "<div class=\"scroll\"><table>\n<tr><th>role</th><th>file</th><th>bytes</th><th>SHA-256</th></tr>\n"
            for file in f.files {
                h +=
                    "<tr><td>\(file.role.rawValue)</td><td><code>\(esc(file.path))</code></td><td>\(file.size.map(String.init) ?? "")</td>"
                h += "<td><code>\(file.sha256 ?? esc(file.note ?? "not read"))</code></td></tr>\n"
            }
            h += "</table></div>\n<p>Options: "
            h += f.options.sorted { $0.key < $1.key }.map { "<code>\(esc($0.key))=\(esc($0.value))</code>" }.joined(
                separator: " ")
            h += "</p>\n</section>\n"
        }
        h += "</main>\n<script>\(script)</script>\n</body>\n</html>\n"
        return Array(h.utf8)
    }

    static func requirement(_ q: RequirementResult, _ r: RunReport) -> String {
        let shown = q.outcome == .failed && !r.failureCounts(q) ? "warning" : q.outcome.rawValue
        var h = "<article class=\"req \(q.outcome.rawValue)\" id=\"req-\(esc(q.id))\" data-outcome=\"\(q.outcome.rawValue)\">\n"
        h += "<h3><span class=\"badge \(shown)\">\(shown)</span> <span class=\"level\">\(q.level.rawValue)</span> "
        h += "<code class=\"rid\">\(esc(q.id))</code> \(esc(q.title))</h3>\n"
        let clause = esc(oneLine(q.clause))
        h += "<p class=\"clause\">" + (q.url.flatMap(link).map { "<a href=\"\($0)\">\(clause)</a>" } ?? clause) + "</p>\n"
        if let quote = q.quote { h += "<blockquote>\(esc(oneLine(quote)))</blockquote>\n" }
        if let w = q.waiver { h += "<p class=\"waiver\">\(esc(ConsoleReport.waiverLine(w)))</p>\n" }
        if let reason = q.reason, q.outcome != .passed { h += "<p class=\"reason\">\(esc(reason))</p>\n" }
        for c in q.checks where !(q.outcome == .passed && c.evidence.isEmpty) {
            h += "<div class=\"check\"><p><span class=\"badge \(c.outcome.rawValue)\">\(c.outcome.rawValue)</span> \(esc(c.name))"
            if let m = c.message { h += ": \(esc(m))" }
            h += "</p>\n"
            var findings = 0
            for e in c.evidence {
                switch e {
                case .note(let text): h += "<p class=\"note\">\(esc(text))</p>\n"
                case .finding(let f):
                    findings += 1
                    guard findings <= 50 else { continue }
                    h +=
                        "<p class=\"finding\"><code>\(esc(f.file)):\(f.line):\(f.column)</code> <code>\(esc(f.pointer.isEmpty ? "/" : f.pointer))</code> \(esc(f.message)) <span class=\"rule\">[\(esc(f.rule))]</span></p>\n"
                case .exchange(let x): h += exchange(x)
                }
            }
            if findings > 50 { h += "<p class=\"note\">… \(findings - 50) more finding(s) in the JSON report</p>\n" }
            h += "</div>\n"
        }
        return h + "</article>\n"
    }

    static func exchange(_ x: ExchangeEvidence) -> String {
        var h = "<div class=\"exchange\"><p><strong>\(esc(x.step))</strong>: <code>\(esc(x.method)) \(esc(x.url))</code> → "
        h += x.status.map { "<strong>\($0)</strong>" } ?? "<strong class=\"bad\">no response</strong>"
        if let t = x.timings { h += String(format: " (%.0f ms)", t.total * 1000) }
        h += "</p>\n"
        for p in x.problems { h += "<p class=\"problem\">\(esc(p))</p>\n" }
        var request = x.requestHeaders.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
        if let b = x.requestBodyExcerpt { request += "\n\n" + b }
        var response = x.responseHeaders.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
        if let b = x.responseBodyExcerpt { response += "\n\n" + b }
        h +=
            "<div class=\"pair\"><pre class=\"request\">\(esc(request))</pre><pre class=\"response\">\(esc(response))</pre></div>\n"
        return h + "</div>\n"
    }

    /// Profile text written over several YAML lines, on one line.
    static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }

    /// An http(s) URL that is safe in an href (escaped); anything else is shown as text, not linked.
    static func link(_ url: String) -> String? {
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else { return nil }
        return esc(url)
    }

    /// HTML text and attribute escaping; control characters shown as \u{…} (ConsoleReport.printable).
    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in ConsoleReport.printable(s).unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static let style = """
        :root{--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--muted:#57606a;--line:#d0d7de}
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:70rem;padding:1rem;color:#1f2328}
        h1{font-size:2rem;margin:.2rem 0}h1.ok,.ok{color:var(--ok)}h1.bad,.bad{color:var(--bad)}
        .why{font-size:1.1rem;margin-top:0}dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
        dt{font-weight:600;color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
        code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
        pre{white-space:pre-wrap;background:#f6f8fa;border:1px solid var(--line);border-radius:4px;padding:.5rem;margin:.3rem 0}
        .scroll{overflow-x:auto}table{border-collapse:collapse}td,th{border:1px solid var(--line);padding:.25rem .5rem;text-align:left}
        .req{border:1px solid var(--line);border-left:6px solid var(--line);border-radius:4px;padding:.3rem .8rem;margin:.8rem 0}
        .req.failed{border-left-color:var(--bad)}.req.error{border-left-color:#8250df}.req.waived{border-left-color:var(--warn)}
        .req.passed{border-left-color:var(--ok)}h3{font-size:1rem;margin:.4rem 0}.level{color:var(--muted);font-size:.85rem}
        .badge{display:inline-block;border-radius:3px;padding:0 .35rem;font-size:.8rem;font-weight:600;color:#fff;background:var(--muted)}
        .badge.passed{background:var(--ok)}.badge.failed{background:var(--bad)}.badge.error{background:#8250df}
        .badge.waived,.badge.warning{background:var(--warn)}blockquote{margin:.3rem 0;padding-left:.8rem;border-left:3px solid var(--line);color:var(--muted)}
        .problem,.finding{margin:.2rem 0}.problem{color:var(--bad)}.rule{color:var(--muted)}.waiver{color:var(--warn);font-weight:600}
        .pair{display:grid;grid-template-columns:1fr 1fr;gap:.5rem}@media (max-width:40rem){.pair{grid-template-columns:1fr}dl.facts{grid-template-columns:1fr}}
        #controls input{font:inherit;padding:.2rem .4rem;margin-right:.5rem}#controls label{margin-right:.6rem;white-space:nowrap}
        .hidden{display:none}@media print{#controls{display:none}.req{break-inside:avoid}a{color:inherit}}
        """

    /// Adds a search box and outcome filters; the document reads the same without it.
    static let script = """
        (function(){var c=document.getElementById('controls');if(!c)return;var reqs=[].slice.call(document.querySelectorAll('.req'));
        var s=document.createElement('input');s.type='search';s.placeholder='Search requirements';s.id='search';c.appendChild(s);
        var outs=['failed','error','waived','skipped','passed','not-applicable'],boxes={};
        outs.forEach(function(o){var l=document.createElement('label'),b=document.createElement('input');b.type='checkbox';b.checked=true;
        b.id='show-'+o;boxes[o]=b;l.appendChild(b);l.appendChild(document.createTextNode(' '+o));c.appendChild(l);b.addEventListener('change',apply);});
        function apply(){var q=s.value.toLowerCase();reqs.forEach(function(r){var show=boxes[r.dataset.outcome]?boxes[r.dataset.outcome].checked:true;
        if(q&&r.textContent.toLowerCase().indexOf(q)<0)show=false;r.classList.toggle('hidden',!show);});}
        s.addEventListener('input',apply);})();
        """
}
