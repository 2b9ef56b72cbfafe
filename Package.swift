// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "citycert",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "citycert", targets: ["citycert"]),
        // The fuzz targets' entry points, for the libFuzzer driver in `Fuzz/` (run by `.ci/fuzz`).
        .library(name: "CityCertFuzz", targets: ["CityCertFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Ed25519 for signed certificates (the only swift-crypto user).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // C: the calling thread's stack bounds (for recursion over user input that must stop, not overflow).
        .target(name: "CCityCertStack"),
        // Leaf: JSON value, exact numbers, parser with locations, pointer, serializer.
        .target(name: "CityCertJSON", dependencies: ["CCityCertStack"], swiftSettings: strictSettings),
        // C: ICU's regular expressions through its C API (Debian libicu-dev), which says when a match gave up.
        .target(
            name: "CCityCertICU",
            linkerSettings: [.linkedLibrary("icui18n"), .linkedLibrary("icuuc"), .linkedLibrary("icudata")]),
        // Leaf: time-bounded regular expressions (I-Regexp and ECMA-262 dialects over ICU).
        .target(name: "CityCertRegex", dependencies: ["CCityCertICU"], swiftSettings: strictSettings),
        .target(name: "CityCertJSONPath", dependencies: ["CityCertJSON", "CityCertRegex"], swiftSettings: strictSettings),
        .target(name: "CityCertJSONSchema", dependencies: ["CityCertJSON", "CityCertRegex"], swiftSettings: strictSettings),
        // Built-in data rules a profile names with `rule:` (GeoJSON, NGSI entity shapes).
        .target(name: "CityCertRules", dependencies: ["CityCertJSON", "CityCertJSONSchema"], swiftSettings: strictSettings),
        // Leaf: streaming RFC 4180 CSV over bytes.
        .target(name: "CityCertCSV", swiftSettings: strictSettings),
        // GTFS Schedule feeds: zip/folder input with bomb guards, table schema, rules (the only ZIPFoundation user).
        .target(
            name: "CityCertGTFS",
            dependencies: ["CityCertCSV", "CityCertJSON", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: strictSettings),
        // Protocols and plain values shared by runner, transport and reports; no I/O.
        .target(name: "CityCertCore", dependencies: ["CityCertJSON"], swiftSettings: strictSettings),
        .target(
            name: "CityCertProfile",
            dependencies: [
                "CityCertCore", "CityCertJSON", "CityCertJSONPath", "CityCertJSONSchema", "CityCertRegex", "CityCertRules",
                "CityCertGTFS", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "CityCertRunner",
            dependencies: [
                "CityCertProfile", "CityCertCore", "CityCertJSON", "CityCertJSONPath", "CityCertJSONSchema", "CityCertRegex",
                "CityCertRules", "CityCertGTFS",
            ],
            swiftSettings: strictSettings),
        .systemLibrary(
            name: "CCityCertCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CityCertCurl", dependencies: ["CityCertCore", "CCityCertCurl"], swiftSettings: strictSettings),
        // The notification receiver a run hosts for callbacks (the only SwiftNIO user).
        .target(
            name: "CityCertReceiver",
            dependencies: [
                "CityCertCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "CityCertReports", dependencies: ["CityCertCore", "CityCertJSON"], exclude: ["report.schema.json"],
            swiftSettings: strictSettings),
        // Signed certificates: W3C Verifiable Credentials with an eddsa-jcs-2022 Data Integrity proof.
        .target(
            name: "CityCertCertificates",
            dependencies: ["CityCertCore", "CityCertJSON", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings),
        // C: SQLite through its C API (Debian libsqlite3-dev): the sweep's journal.
        .systemLibrary(
            name: "CCityCertSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        // C: PostgreSQL's client library (Debian libpq-dev): a sweep journal shared by workers.
        .systemLibrary(
            name: "CCityCertPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        // Certification sweeps: many targets × profiles, journaled (resumable), sharded, polite.
        .target(
            name: "CityCertSweep",
            dependencies: [
                "CityCertRunner", "CityCertProfile", "CityCertCore", "CityCertReports", "CityCertJSON", "CCityCertSQLite",
                "CCityCertPQ",
            ],
            swiftSettings: strictSettings),
        .executableTarget(
            name: "citycert",
            dependencies: [
                "CityCertRunner", "CityCertProfile", "CityCertCore", "CityCertCurl", "CityCertReceiver", "CityCertReports",
                "CityCertJSON", "CityCertJSONPath", "CityCertJSONSchema", "CityCertRules", "CityCertCertificates",
                "CityCertSweep",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings),
        .target(name: "CityCertTestSupport", dependencies: ["CityCertJSON"], swiftSettings: strictSettings),
        // What the fuzzers run, with the invariants each input must keep; the regression tests replay
        // the committed inputs through the same entry points.
        .target(
            name: "CityCertFuzz",
            dependencies: [
                "CityCertJSON", "CityCertJSONPath", "CityCertJSONSchema", "CityCertProfile", "CityCertCSV", "CityCertGTFS",
                "CityCertCore", "CityCertRunner", "CityCertReports",
            ],
            swiftSettings: strictSettings),

        .testTarget(name: "CityCertJSONTests", dependencies: ["CityCertJSON"], swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertFuzzTests", dependencies: ["CityCertFuzz", "CityCertTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertRulesTests", dependencies: ["CityCertRules", "CityCertJSON", "CityCertTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertReceiverTests", dependencies: ["CityCertReceiver", "CityCertCore", "CityCertCurl"],
            swiftSettings: strictSettings),
        .testTarget(name: "CityCertCSVTests", dependencies: ["CityCertCSV"], swiftSettings: strictSettings),
        .testTarget(name: "CityCertCoreTests", dependencies: ["CityCertCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertRegexTests", dependencies: ["CityCertRegex", "CityCertTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertJSONPathTests", dependencies: ["CityCertJSONPath", "CityCertJSON", "CityCertTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertJSONSchemaTests", dependencies: ["CityCertJSONSchema", "CityCertJSON", "CityCertTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertProfileTests",
            dependencies: ["CityCertProfile", "CityCertCore", "CityCertJSON", "CityCertJSONSchema", "CityCertTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertRunnerTests",
            dependencies: [
                "CityCertRunner", "CityCertProfile", "CityCertCore", "CityCertJSON", "CityCertCurl", "CityCertTestSupport",
                "CityCertRules", "CityCertGTFS", "CityCertReports", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertCurlTests", dependencies: ["CityCertCurl", "CityCertCore", "CityCertTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertReportsTests",
            dependencies: ["CityCertReports", "CityCertCore", "CityCertJSON", "CityCertJSONSchema", "CityCertTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertCertificatesTests",
            dependencies: ["CityCertCertificates", "CityCertCore", "CityCertJSON", "CityCertTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertSweepTests",
            dependencies: ["CityCertSweep", "CityCertCore", "CityCertCurl", "CityCertTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CityCertEndToEndTests",
            dependencies: ["citycert", "CityCertTestSupport", "CityCertJSON", "CityCertJSONSchema"],
            swiftSettings: strictSettings),
    ]
)
