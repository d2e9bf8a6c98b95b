#include "generate/catalog.h"

namespace holo::generate {
namespace {

constexpr City kCities[] = {
    {"Beijing",
     "北京",
     1,
     39.9042,
     116.4074,
     10.0,
     "100",
     9.0,
     true,
     {"Chaoyang", "Haidian", "Dongcheng", "Xicheng", "Fengtai"},
     {"朝阳区", "海淀区", "东城区", "西城区", "丰台区"}},
    {"Shanghai",
     "上海",
     1,
     31.2304,
     121.4737,
     11.0,
     "200",
     9.0,
     true,
     {"Pudong New Area", "Huangpu", "Xuhui", "Jing'an", "Minhang"},
     {"浦东新区", "黄浦区", "徐汇区", "静安区", "闵行区"}},
    {"Guangzhou",
     "广州",
     1,
     23.1291,
     113.2644,
     8.0,
     "510",
     8.0,
     true,
     {"Tianhe", "Yuexiu", "Haizhu", "Baiyun", "Panyu"},
     {"天河区", "越秀区", "海珠区", "白云区", "番禺区"}},
    {"Shenzhen",
     "深圳",
     1,
     22.5431,
     114.0579,
     8.0,
     "518",
     8.0,
     true,
     {"Futian", "Nanshan", "Luohu", "Bao'an", "Longgang"},
     {"福田区", "南山区", "罗湖区", "宝安区", "龙岗区"}},
    {"Chengdu",
     "成都",
     2,
     30.5728,
     104.0668,
     7.0,
     "610",
     7.0,
     true,
     {"Jinjiang", "Wuhou", "Qingyang", "Chenghua", "Jinniu"},
     {"锦江区", "武侯区", "青羊区", "成华区", "金牛区"}},
    {"Hangzhou",
     "杭州",
     2,
     30.2741,
     120.1551,
     6.0,
     "310",
     7.0,
     true,
     {"Xihu", "Shangcheng", "Gongshu", "Binjiang", "Yuhang"},
     {"西湖区", "上城区", "拱墅区", "滨江区", "余杭区"}},
    {"Wuhan",
     "武汉",
     2,
     30.5928,
     114.3055,
     6.0,
     "430",
     7.0,
     true,
     {"Wuchang", "Jiang'an", "Hongshan", "Jianghan", "Hanyang"},
     {"武昌区", "江岸区", "洪山区", "江汉区", "汉阳区"}},
    {"Xi'an",
     "西安",
     2,
     34.3416,
     108.9398,
     5.0,
     "710",
     6.0,
     true,
     {"Yanta", "Beilin", "Lianhu", "Xincheng", "Weiyang"},
     {"雁塔区", "碑林区", "莲湖区", "新城区", "未央区"}},
    {"Nanjing",
     "南京",
     2,
     32.0603,
     118.7969,
     5.0,
     "210",
     6.0,
     true,
     {"Xuanwu", "Gulou", "Qinhuai", "Jianye", "Jiangning"},
     {"玄武区", "鼓楼区", "秦淮区", "建邺区", "江宁区"}},
    {"Chongqing",
     "重庆",
     2,
     29.5630,
     106.5516,
     7.0,
     "400",
     8.0,
     true,
     {"Yuzhong", "Jiangbei", "Nan'an", "Shapingba", "Yubei"},
     {"渝中区", "江北区", "南岸区", "沙坪坝区", "渝北区"}},
    {"Suzhou",
     "苏州",
     2,
     31.2989,
     120.5853,
     4.0,
     "215",
     6.0,
     true,
     {"Gusu", "Wuzhong", "Xiangcheng", "Huqiu", "Industrial Park"},
     {"姑苏区", "吴中区", "相城区", "虎丘区", "苏州工业园区"}},
    {"Qingdao",
     "青岛",
     3,
     36.0671,
     120.3826,
     3.0,
     "266",
     5.0,
     true,
     {"Shinan", "Shibei", "Licang", "Laoshan", "Huangdao"},
     {"市南区", "市北区", "李沧区", "崂山区", "黄岛区"}},
    {"Xiamen",
     "厦门",
     3,
     24.4798,
     118.0894,
     2.0,
     "361",
     4.0,
     true,
     {"Siming", "Huli", "Jimei", "Haicang", "Tong'an"},
     {"思明区", "湖里区", "集美区", "海沧区", "同安区"}},
    {"Kunming",
     "昆明",
     3,
     25.0389,
     102.7183,
     3.0,
     "650",
     5.0,
     true,
     {"Wuhua", "Panlong", "Guandu", "Xishan", "Chenggong"},
     {"五华区", "盘龙区", "官渡区", "西山区", "呈贡区"}},
    {"Harbin",
     "哈尔滨",
     3,
     45.8038,
     126.5349,
     3.0,
     "150",
     5.0,
     true,
     {"Nangang", "Daoli", "Daowai", "Xiangfang", "Songbei"},
     {"南岗区", "道里区", "道外区", "香坊区", "松北区"}},
    {"Dalian",
     "大连",
     3,
     38.9140,
     121.6147,
     2.0,
     "116",
     4.0,
     true,
     {"Zhongshan", "Xigang", "Shahekou", "Ganjingzi", "Jinzhou"},
     {"中山区", "西岗区", "沙河口区", "甘井子区", "金州区"}},
    {"Luoyang",
     "洛阳",
     4,
     34.6197,
     112.4540,
     2.0,
     "471",
     3.5,
     false,
     {"Laocheng", "Xigong", "Jianxi", "Luolong", "Chanhe"},
     {"老城区", "西工区", "涧西区", "洛龙区", "瀍河区"}},
    {"Guilin",
     "桂林",
     4,
     25.2740,
     110.2900,
     1.5,
     "541",
     3.0,
     false,
     {"Xiufeng", "Diecai", "Xiangshan", "Qixing", "Yanshan"},
     {"秀峰区", "叠彩区", "象山区", "七星区", "雁山区"}},
    {"Yichang",
     "宜昌",
     4,
     30.6919,
     111.2865,
     1.5,
     "443",
     3.0,
     false,
     {"Xiling", "Wujiagang", "Dianjun", "Xiaoting", "Yiling"},
     {"西陵区", "伍家岗区", "点军区", "猇亭区", "夷陵区"}},
    {"Baoding",
     "保定",
     4,
     38.8740,
     115.4646,
     2.0,
     "071",
     3.5,
     false,
     {"Jingxiu", "Lianchi", "Mancheng", "Qingyuan", "Xushui"},
     {"竞秀区", "莲池区", "满城区", "清苑区", "徐水区"}},
};

constexpr Street kStreets[] = {
    {"Jianguo", "建国"},   {"Zhongshan", "中山"}, {"Renmin", "人民"},     {"Jiefang", "解放"},
    {"Heping", "和平"},    {"Xinhua", "新华"},    {"Changjiang", "长江"}, {"Huaihai", "淮海"},
    {"Yan'an", "延安"},    {"Fuxing", "复兴"},    {"Wenhua", "文化"},     {"Youyi", "友谊"},
    {"Dongfeng", "东风"},  {"Shengli", "胜利"},   {"Hongqi", "红旗"},     {"Xingfu", "幸福"},
    {"Guangming", "光明"}, {"Qingnian", "青年"},  {"Jianshe", "建设"},    {"Huayuan", "花园"},
    {"Binjiang", "滨江"},  {"Keji", "科技"},      {"Xuefu", "学府"},      {"Jinxiu", "锦绣"},
    {"Yingbin", "迎宾"},   {"Chunhui", "春晖"},   {"Taihe", "太和"},      {"Xinghai", "星海"},
    {"Wanshou", "万寿"},   {"Changan", "长安"},
};

constexpr NameChar kSurnames[] = {
    {"王", "Wang"},  {"李", "Li"},    {"张", "Zhang"}, {"刘", "Liu"},  {"陈", "Chen"},
    {"杨", "Yang"},  {"黄", "Huang"}, {"赵", "Zhao"},  {"吴", "Wu"},   {"周", "Zhou"},
    {"徐", "Xu"},    {"孙", "Sun"},   {"马", "Ma"},    {"朱", "Zhu"},  {"胡", "Hu"},
    {"郭", "Guo"},   {"何", "He"},    {"高", "Gao"},   {"林", "Lin"},  {"罗", "Luo"},
    {"郑", "Zheng"}, {"梁", "Liang"}, {"谢", "Xie"},   {"宋", "Song"}, {"唐", "Tang"},
};

constexpr NameChar kGivenFemale[] = {
    {"芳", "fang"}, {"娜", "na"},   {"敏", "min"},  {"静", "jing"}, {"丽", "li"},
    {"艳", "yan"},  {"娟", "juan"}, {"秀", "xiu"},  {"霞", "xia"},  {"玉", "yu"},
    {"兰", "lan"},  {"婷", "ting"}, {"雪", "xue"},  {"欣", "xin"},  {"涵", "han"},
    {"梅", "mei"},  {"琳", "lin"},  {"颖", "ying"}, {"倩", "qian"}, {"佳", "jia"},
};

constexpr NameChar kGivenMale[] = {
    {"伟", "wei"},  {"强", "qiang"}, {"磊", "lei"},  {"军", "jun"},  {"洋", "yang"},
    {"勇", "yong"}, {"杰", "jie"},   {"涛", "tao"},  {"明", "ming"}, {"超", "chao"},
    {"刚", "gang"}, {"华", "hua"},   {"辉", "hui"},  {"建", "jian"}, {"鹏", "peng"},
    {"宇", "yu"},   {"浩", "hao"},   {"轩", "xuan"}, {"睿", "rui"},  {"博", "bo"},
};

constexpr std::string_view kOfficeParks[] = {
    "Tower A, Financial Centre",           "Tower B, Software Park",     "Building 3, Science Park",
    "Tower C, International Trade Centre", "Building 7, Innovation Hub", "Tower 2, Times Square",
    "Building 5, High-tech Zone",          "Block D, Business Plaza",
};

constexpr Category kCategories[] = {
    {"apparel",
     {"Uniqlo", "Zara", "Li-Ning", "Bosideng", "Semir"},
     59,
     899,
     {"down jacket", "hoodie", "dress", "jeans"},
     {"#OOTD#", "#AutumnFashion#"}},
    {"beauty",
     {"L'Oreal", "Estee Lauder", "Perfect Diary", "Lancome", "Shiseido"},
     49,
     1299,
     {"lipstick", "serum", "sunscreen", "face mask"},
     {"#MakeupTutorial#", "#SkincareRoutine#"}},
    {"electronics",
     {"Huawei", "Xiaomi", "Apple", "OPPO", "Lenovo"},
     99,
     9999,
     {"smartphone", "earbuds", "laptop", "smart watch"},
     {"#NewPhone#", "#TechReview#"}},
    {"food",
     {"Three Squirrels", "Bestore", "Yili", "Mengniu", "Nongfu Spring"},
     9,
     199,
     {"snacks", "milk", "nuts", "mooncake"},
     {"#Foodie#", "#MidAutumnFestival#"}},
    {"home",
     {"IKEA", "Midea", "Haier", "Gree", "Supor"},
     29,
     4999,
     {"air fryer", "rice cooker", "bedding", "air purifier"},
     {"#HomeDecor#", "#SmartHome#"}},
    {"luxury",
     {"Gucci", "Louis Vuitton", "Chanel", "Prada", "Hermes"},
     2999,
     49999,
     {"handbag", "perfume", "wallet", "scarf"},
     {"#LuxuryHaul#", "#FashionWeek#"}},
    {"sports",
     {"Nike", "Adidas", "Anta", "Xtep", "Decathlon"},
     79,
     1599,
     {"running shoes", "yoga mat", "basketball", "sportswear"},
     {"#Marathon#", "#NBA#"}},
    {"baby",
     {"Pampers", "Feihe", "Babycare", "Huggies", "Aptamil"},
     39,
     599,
     {"diapers", "infant formula", "stroller", "baby wipes"},
     {"#Parenting#", "#BabyCare#"}},
    {"books",
     {"CITIC Press", "People's Literature", "Penguin", "Dangdang Select", "Xinhua Books"},
     15,
     159,
     {"novel", "history book", "self-help", "children's book"},
     {"#BookClub#", "#Reading#"}},
    {"travel",
     {"Samsonite", "Rimowa", "American Tourister", "Diplomat", "Delsey"},
     199,
     6999,
     {"suitcase", "carry-on", "travel pillow", "backpack"},
     {"#TravelDiary#", "#NationalDayTrip#"}},
};

constexpr Campaign kCampaigns[] = {
    {"c01", "Double 11 Presale", 1, 2, 0.55, 1.0},  // beauty / Perfect Diary
    {"c02", "Autumn Run", 6, 0, 0.10, 0.60},        // sports / Nike
    {"c03", "Mate Launch", 2, 0, 0.30, 0.75},       // electronics / Huawei
    {"c04", "Winter Warm", 0, 3, 0.60, 1.0},        // apparel / Bosideng
    {"c05", "Mid-Autumn Gifts", 3, 0, 0.05, 0.35},  // food / Three Squirrels
    {"c06", "Home Refresh", 4, 0, 0.20, 0.90},      // home / IKEA
    {"c07", "Little Explorer", 7, 2, 0.00, 0.50},   // baby / Babycare
    {"c08", "Timeless", 5, 2, 0.40, 1.0},           // luxury / Chanel
};

constexpr std::string_view kCreatives[] = {"banner_a", "banner_b", "video_15s", "splash"};

constexpr Restaurant kRestaurants[] = {
    {"KFC", "fast_food", {"Zinger Burger", "Family Bucket", "Egg Tart"}, 12, 89},
    {"McDonald's", "fast_food", {"Big Mac", "McNuggets", "McFlurry"}, 12, 79},
    {"Luckin Coffee", "coffee", {"Coconut Latte", "Americano", "Raw Coconut Latte"}, 9, 32},
    {"Starbucks", "coffee", {"Caffe Latte", "Frappuccino", "Cold Brew"}, 28, 45},
    {"Heytea", "tea", {"Cheese Grape", "Mango Pomelo Sago", "Jasmine Milk Tea"}, 16, 32},
    {"Mixue", "tea", {"Lemon Water", "Ice Cream Cone", "Pearl Milk Tea"}, 4, 12},
    {"Yonghe King", "chinese", {"Soy Milk Set", "Braised Pork Rice", "Beef Noodles"}, 18, 45},
    {"Haidilao", "hotpot", {"Tomato Hotpot Set", "Beef Slices", "Shrimp Paste"}, 60, 220},
    {"Lanzhou Lamian", "noodles", {"Beef Noodles", "Fried Noodles", "Cold Noodles"}, 15, 35},
    {"Wallace", "fast_food", {"Chicken Burger", "Fries Combo", "Wings"}, 12, 39},
    {"Tastien", "fast_food", {"Beef Burger", "Chicken Wrap", "Combo Meal"}, 15, 45},
    {"Zhenggongfu", "chinese", {"Steamed Pork Ribs", "Chicken Soup", "Rice Set"}, 25, 60},
};

constexpr Video kVideos[] = {
    {"Nirvana in Fire", "drama", 2700},
    {"The Longest Day in Chang'an", "drama", 2760},
    {"Story of Yanxi Palace", "drama", 2700},
    {"Reset", "drama", 2640},
    {"The Bad Kids", "drama", 2700},
    {"Go Ahead", "drama", 2640},
    {"My People, My Country", "movie", 9300},
    {"Wolf Warrior 2", "movie", 7380},
    {"Ne Zha", "movie", 6600},
    {"The Wandering Earth", "movie", 7500},
    {"Street Dance of China", "variety", 5400},
    {"The Rap of China", "variety", 5700},
    {"Day Day Up", "variety", 4800},
    {"Soul Land", "anime", 1320},
    {"Link Click", "anime", 1380},
    {"Fog Hill of Five Elements", "anime", 1440},
    {"A Bite of China", "documentary", 3000},
    {"Masters in the Forbidden City", "documentary", 2700},
    {"CBA Finals Replay", "sports", 7200},
    {"Chinese Super League Highlights", "sports", 1800},
};

constexpr std::string_view kHotTopics[] = {
    "#Double11#", "#NationalDay#", "#MidAutumnFestival#", "#WorldsLoL#",   "#Weekend#",
    "#WorkLife#", "#Weather#",     "#CityWalk#",          "#CatsOfWeibo#", "#NewMovie#",
};

constexpr Destination kInternational[] = {
    {"Tokyo", "JP", 35.6762, 139.6503},    {"Osaka", "JP", 34.6937, 135.5023},
    {"Seoul", "KR", 37.5665, 126.9780},    {"Bangkok", "TH", 13.7563, 100.5018},
    {"Singapore", "SG", 1.3521, 103.8198}, {"Kuala Lumpur", "MY", 3.1390, 101.6869},
    {"Bali", "ID", -8.3405, 115.0920},     {"Paris", "FR", 48.8566, 2.3522},
    {"London", "GB", 51.5074, -0.1278},    {"Sydney", "AU", -33.8688, 151.2093},
    {"Dubai", "AE", 25.2048, 55.2708},     {"Hong Kong", "HK", 22.3193, 114.1694},
};

constexpr std::string_view kStoreChains[] = {
    "Hema",        "Intime Department Store",
    "Uniqlo",      "Nike",
    "Apple Store", "Huawei Experience Store",
    "Sephora",     "Walmart",
    "IKEA",        "Miniso",
    "Decathlon",   "Li-Ning",
};

constexpr std::string_view kStoreZones[] = {"entrance", "apparel", "beauty",   "electronics",
                                            "food",     "home",    "checkout", "lounge"};

constexpr std::string_view kMobilePrefixes[] = {
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159", "177",
    "180", "181", "182", "183", "185", "186", "187", "188", "189", "199",
};

constexpr std::string_view kEmailDomains[] = {
    "163.com", "126.com", "sina.com", "foxmail.com", "outlook.com", "gmail.com", "aliyun.com"};

constexpr uint32_t kAppleOuis[] = {0xF01898, 0xA483E7, 0x3C22FB, 0xDCA904, 0x88E9FE, 0x8C8590};
constexpr uint32_t kAndroidOuis[] = {0x00E0FC, 0x48DB50, 0xE0247F, 0x640980, 0xF8A45F, 0x28E31F,
                                     0xA43D78, 0x2C5BB8, 0xDC0C2D, 0x5C0A5B, 0x8425DB, 0xC0EEFB};

}  // namespace

std::span<const City> Cities() { return kCities; }
std::span<const Street> Streets() { return kStreets; }
std::span<const NameChar> Surnames() { return kSurnames; }
std::span<const NameChar> GivenNamesFemale() { return kGivenFemale; }
std::span<const NameChar> GivenNamesMale() { return kGivenMale; }
std::span<const std::string_view> OfficeParks() { return kOfficeParks; }
std::span<const Category> Categories() { return kCategories; }
std::span<const Campaign> Campaigns() { return kCampaigns; }
std::span<const std::string_view> Creatives() { return kCreatives; }
std::span<const Restaurant> Restaurants() { return kRestaurants; }
std::span<const Video> Videos() { return kVideos; }
std::span<const std::string_view> HotTopics() { return kHotTopics; }
std::span<const Destination> InternationalDestinations() { return kInternational; }
std::span<const std::string_view> StoreChains() { return kStoreChains; }
std::span<const std::string_view> StoreZones() { return kStoreZones; }
std::span<const std::string_view> MobilePrefixes() { return kMobilePrefixes; }
std::span<const std::string_view> EmailDomains() { return kEmailDomains; }
std::span<const uint32_t> AppleOuis() { return kAppleOuis; }
std::span<const uint32_t> AndroidOuis() { return kAndroidOuis; }

static_assert(sizeof(kCategories) / sizeof(kCategories[0]) == kNumCategories);
static_assert(sizeof(kCampaigns) / sizeof(kCampaigns[0]) == kNumCampaigns);

}  // namespace holo::generate
