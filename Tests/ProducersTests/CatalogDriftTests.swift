import Testing
import RecipeParser
@testable import Producers

/// The checker's catalog (`ProviderCatalog`: families, kinds, models; `contracts`: what each
/// producer needs and makes) and the registry that runs them are two views of one set of
/// producers: every provider line the checker accepts has a producer, and every producer the
/// registry can return is one the checker knows.
struct CatalogDriftTests {
    static func ref(_ family: String, _ model: String) -> ProviderRef {
        ProviderRef(family: family, model: model)
    }

    /// Each (family, kind, model) the checker accepts — every listed model, or the default and
    /// an arbitrary name where any model goes — is run by some producer, and has a contract.
    @Test func everyAcceptedProviderHasAProducerAndAContract() {
        var checked = 0
        for spec in ProviderCatalog.all {
            for (kind, models) in spec.models {
                let names = models.isEmpty ? [spec.defaultModels[kind] ?? "any-model", "some/other-model"] : models
                for model in names {
                    let r = Self.ref(spec.family, model)
                    #expect(ProducerRegistry.producer(for: r, kind: kind) != nil, "\(r) for \(kind) has no producer")
                    #expect(ProviderCatalog.contract(for: r, kind: kind) != nil, "\(r) for \(kind) has no contract")
                    checked += 1
                }
            }
        }
        #expect(checked >= 25)
    }

    /// The registry returns nothing the checker refuses: no producer for a kind a family does not
    /// serve (as `local/espeak` for `align` was once accepted by the checker with no producer).
    @Test func theRegistryServesNothingTheCatalogRefuses() {
        let families = ProviderCatalog.all.map(\.family) + ["nosuch"]
        let models = ["article", "template", "espeak", "card", "tones", "ffmpeg", "x"]
        for family in families {
            for kind in ProducerKind.allCases {
                for model in models where ProducerRegistry.producer(for: Self.ref(family, model), kind: kind) != nil {
                    let spec = ProviderCatalog.spec(family)
                    // Remote families take any model name the catalog accepts (the catalog checks
                    // names); local producers are one per model.
                    let accepted = family == "local" ? spec?.models[kind]?.contains(model) ?? false : spec?.serves(kind) ?? false
                    #expect(accepted, "the registry runs \(family)/\(model) for \(kind), which check refuses")
                }
            }
        }
        // The case that drifted: local/espeak is speech, not alignment.
        #expect(ProviderCatalog.spec("local")?.serves(.align) == false)
    }

    /// Every contract names a family and kind the catalog serves.
    @Test func everyContractIsOfAServedKind() {
        for c in ProviderCatalog.contracts {
            #expect(ProviderCatalog.spec(c.family)?.serves(c.kind) == true, "\(c.family) \(c.kind)")
            if let m = c.model, let models = ProviderCatalog.spec(c.family)?.models[c.kind], !models.isEmpty {
                #expect(models.contains(m), "\(c.family)/\(m)")
            }
        }
    }
}
