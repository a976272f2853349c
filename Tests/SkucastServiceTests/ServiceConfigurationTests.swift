import SkucastKafka
import Testing

@testable import SkucastService

@Suite("Service configuration")
struct ServiceConfigurationTests {
    @Test("zstd is produced at level 1 unless a level is given; another codec, also one passed through, keeps its own")
    func compressionLevel() {
        var c = ServiceConfiguration(client: KafkaClientConfiguration(bootstrapServers: ["127.0.0.1:9092"]))
        #expect(c.compression == "zstd" && c.producerCompressionLevel == 1)
        c.compressionLevel = 3
        #expect(c.producerCompressionLevel == 3)
        c.compressionLevel = nil
        c.compression = "lz4"
        #expect(c.producerCompressionLevel == nil)
        // librdkafka takes the pass-through codec over the typed one, and of its two
        // names the one applied last (`compression.type`): so does the default.
        c.client.properties["compression.codec"] = "ZSTD"
        #expect(c.producerCompressionLevel == 1)
        c.compression = "zstd"
        c.client.properties["compression.codec"] = "gzip"
        #expect(c.producerCompressionLevel == nil)
        c.client.properties["compression.type"] = "zstd"
        #expect(c.producerCompressionLevel == 1)
    }
}
