// File: tests/storage/codec_test.cc

#include "libs/storage/codec.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/alert/label_set.h"

namespace wecom_notify::storage {
namespace {

using ::testing::HasSubstr;

alert::LabelSet Sample() {
  return alert::LabelSet({{"alertname", "磁盘已满"},
                          {"instance", "主机-01:9100"},
                          {"zero", std::string("a\0b", 3)},
                          {"long", std::string(300, 'x')},  // a two-byte varint length
                          {"emoji", "🔥"}});
}

std::string Encode(const alert::LabelSet& labels) {
  std::string out;
  AppendLabelSet(labels, &out);
  return out;
}

TEST(LabelSetCodecTest, RoundTrips) {
  for (const alert::LabelSet& labels : {alert::LabelSet(), Sample()}) {
    absl::StatusOr<alert::LabelSet> decoded = DecodeLabelSet(Encode(labels));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, labels);
  }
}

TEST(LabelSetCodecTest, EncodingIsCompact) {
  // varint count + per pair two one-byte lengths and the bytes themselves.
  EXPECT_EQ(Encode(alert::LabelSet({{"a", "bc"}, {"de", "f"}})),
            std::string("\x02\x01" "a" "\x02" "bc" "\x02" "de" "\x01" "f"));
  EXPECT_EQ(Encode(alert::LabelSet()), std::string("\x00", 1));
}

TEST(LabelSetCodecTest, EveryTruncationIsDataLoss) {
  const std::string encoded = Encode(Sample());
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    absl::StatusOr<alert::LabelSet> decoded = DecodeLabelSet(encoded.substr(0, size));
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << "prefix " << size;
  }
}

TEST(LabelSetCodecTest, TrailingBytesAreDataLoss) {
  absl::StatusOr<alert::LabelSet> decoded = DecodeLabelSet(Encode(Sample()) + "x");
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("trailing"));
}

TEST(LabelSetCodecTest, HugeCountIsDataLossWithoutAllocating) {
  // count = 2^63 as a 10-byte varint.
  const std::string huge("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 10);
  EXPECT_EQ(DecodeLabelSet(huge).status().code(), absl::StatusCode::kDataLoss);
  // An 11-byte varint and one overflowing 64 bits.
  EXPECT_EQ(DecodeLabelSet(std::string(11, '\x80')).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeLabelSet(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10))
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

TEST(LabelSetCodecTest, NonCanonicalVarintIsDataLoss) {
  // count 0 written in two bytes.
  EXPECT_EQ(DecodeLabelSet(std::string("\x80\x00", 2)).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(LabelSetCodecTest, LengthPastTheEndIsDataLoss) {
  // One pair whose name claims 100 bytes.
  EXPECT_EQ(DecodeLabelSet(std::string("\x01\x64" "ab\x00", 5)).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(LabelSetCodecTest, UnsortedOrDuplicateNamesAreDataLoss) {
  EXPECT_EQ(DecodeLabelSet(std::string("\x02\x01" "b\x00\x01" "a\x00", 7)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeLabelSet(std::string("\x02\x01" "a\x00\x01" "a\x00", 7)).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(LabelSetCodecTest, RandomBytesNeverCrash) {
  std::mt19937 random(42);
  const std::string valid = Encode(Sample());
  int decoded_ok = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = valid;
    // Flip a few random bytes of a valid encoding, or use pure noise.
    if (i % 2 == 0) {
      for (int flips = 1 + random() % 3; flips > 0; --flips) {
        bytes[random() % bytes.size()] = static_cast<char>(random());
      }
    } else {
      bytes.resize(random() % 64);
      for (char& c : bytes) c = static_cast<char>(random());
    }
    absl::StatusOr<alert::LabelSet> decoded = DecodeLabelSet(bytes);
    if (decoded.ok()) {
      ++decoded_ok;
      EXPECT_EQ(Encode(*decoded), bytes);  // whatever decodes is a canonical encoding
    } else {
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
    }
  }
  EXPECT_LT(decoded_ok, 20000);
}

TEST(FingerprintCodecTest, RoundTripsLittleEndian) {
  const std::vector<uint64_t> fingerprints = {0, 1, 0x0102030405060708,
                                              std::numeric_limits<uint64_t>::max()};
  std::string encoded;
  AppendFingerprints(fingerprints, &encoded);
  ASSERT_EQ(encoded.size(), 32u);
  EXPECT_EQ(encoded.substr(16, 8), "\x08\x07\x06\x05\x04\x03\x02\x01");
  absl::StatusOr<std::vector<uint64_t>> decoded = DecodeFingerprints(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, fingerprints);
  EXPECT_THAT(*DecodeFingerprints(""), ::testing::IsEmpty());
}

TEST(FingerprintCodecTest, SizeNotMultipleOfEightIsDataLoss) {
  EXPECT_EQ(DecodeFingerprints("1234567").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeFingerprints("123456789").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace wecom_notify::storage
