// swift-tools-version:6.1
// The libFuzzer driver for citycert's fuzz targets (see `.ci/fuzz`). A package of its own so that the
// main package builds without the fuzzer runtime: `swift build -c release -Xswiftc -sanitize=fuzzer,address
// -Xswiftc -parse-as-library --package-path Fuzz`.
import Foundation
import PackageDescription

// A path dependency is named after its folder, which is whatever the checkout is called.
let parent = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "citycert-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: parent.path)],
    targets: [
        .executableTarget(
            name: "citycert-fuzz",
            dependencies: [.product(name: "CityCertFuzz", package: parent.lastPathComponent)])
    ]
)
