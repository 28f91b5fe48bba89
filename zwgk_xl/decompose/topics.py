"""Functional keywords of the standard local department types, from their 三定 functions.

A task addressed to 「有关部门」 goes to the departments whose duties it touches.
Each :class:`DeptType` names how a unit of that type is recognised (``markers``:
parts of its name or of its 对口上级单位) and the words of its functions
(``keywords``).  A directory extends the table per unit with its 职能关键词
column, and its 排除关键词 column (written by ``decompose --learn``) removes
keywords that led to a unit the clerk took off a task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zwgk_xl.core.units import Directory, Unit
from zwgk_xl.parse.normalize import opencc_converter

DEPARTMENT, SECTION = "department", "section"

# The 26 pilot areas of 基层政务公开标准化规范化 (国办发〔2019〕54号 and the State Council's 2017 pilot list):
# a task on standardising grass-roots openness concerns the departments owning them.
PILOT = ("基层政务公开标准化", "试点领域")


@dataclass(frozen=True)
class DeptType:
    """A department type: its label, how a unit of it is recognised, its functional keywords."""

    label: str
    markers: tuple[str, ...]
    keywords: tuple[str, ...]
    scope: str = DEPARTMENT


def _t(label: str, markers: str, keywords: str, scope: str = DEPARTMENT) -> DeptType:
    return DeptType(label, tuple(markers.split()), tuple(keywords.split()), scope)


TYPES: list[DeptType] = [
    _t("政府办公室", "人民政府办公室 政府办公室 政府办 政务公开办",
       "政府公报 政府网站 门户网站 政务新媒体 政府常务会议 政务公开考核 政府信息与政务公开工作主管部门 督查督办 绩效考核"),
    _t("发展改革", "发展和改革 发展改革 发改 粮食和物资储备 能源局",
       "发展改革 重大建设项目 政府投资 稳投资 投资项目 价格 收费标准 粮食 能源 物资储备 国民经济 发展规划 社会信用 信用体系 "
       "营商环境 供电 电力 以工代赈 " + " ".join(PILOT)),
    _t("教育", "教育", "教育 学校 招生 义务教育 学前教育 幼儿园 中小学 高中 职业教育 教师 学生资助 校园 考试招生 " + " ".join(PILOT)),
    _t("体育", "体育", "体育 全民健身 体育场馆 体育赛事 公共体育"),
    _t("工业和信息化", "工业和信息化 工业商务和信息化 工信 工业",
       "工业 两化融合 数字经济 产业链 供应链 中小企业 民营经济 工业园区 电力 供电 通信 无线电 企业复工"),
    _t("商务", "商务", "商务 外贸 外资 稳外贸 稳外资 招商引资 消费 市场流通 电子商务 外商投资 市场供应"),
    _t("科技", "科技 科学技术", "科技 科学技术 科技创新 高新技术 科研"),
    _t("大数据", "大数据", "大数据 数据共享 数据开放 信息系统 电子政务"),
    _t("民族宗教", "民族宗教 民宗", "民族 宗教 民族团结 少数民族 民族文化"),
    _t("公安", "公安", "公安 户籍 户口 治安 交通管理 出入境 身份证 机动车 驾驶证 犯罪 网络安全等级保护 " + " ".join(PILOT)),
    _t("民政", "民政", "养老 社会救助 最低生活保障 低保 特困 临时救助 社会组织 殡葬 婚姻登记 儿童福利 留守儿童 慈善 地名 "
       "社区建设 基本民生 困难群众 社会福利 " + " ".join(PILOT)),
    _t("司法", "司法 法制办 依法治", "行政执法 执法公示 法治 依法行政 行政复议 普法 公共法律服务 法律援助 人民调解 规范性文件 "
       "合法性审查 重大行政决策 社区矫正 法律顾问 " + " ".join(PILOT)),
    _t("财政", "财政", "财政 预算 决算 预决算 政府债务 债券 专项债 国有资产 政府采购 财政资金 资金直达 政策资金 惠企利民 "
       "基层运转 惠民惠农 涉农补贴 " + " ".join(PILOT)),
    _t("地方金融", "地方金融 金融办 金融工作", "金融 稳金融 金融监管 风险处置 融资 防范化解"),
    _t("国有资产", "国有资产监督 国资", "国有资产 国有企业 国企改革"),
    _t("人力资源社会保障", "人力资源和社会保障 人力资源社会保障 人社",
       "就业 创业 社会保险 社保 养老保险 失业保险 工伤保险 工资 人才 职称 职业技能 技能培训 劳动关系 劳动保障 农民工 "
       "高校毕业生 事业单位公开招聘 " + " ".join(PILOT)),
    _t("自然资源", "自然资源 国土资源", "征地 土地 国土空间 城乡规划 城市规划 村庄规划 规划许可 不动产登记 矿产 矿业权 地质灾害 "
       "测绘 耕地保护 用地 自然资源 " + " ".join(PILOT)),
    _t("生态环境", "生态环境 环境保护", "生态环境 环境保护 环保 污染 大气 土壤 排污 环境影响评价 环评 环境监管 环保督察 生态文明 "
       "固体废物 饮用水水源 " + " ".join(PILOT)),
    _t("住房城乡建设", "住房和城乡建设 住房城乡建设 住建", "住房 保障性住房 公租房 棚户区改造 城市建设 城乡建设 城市规划建设 建筑 "
       "工程建设 房地产 物业 危房改造 老旧小区 供气 燃气 市政设施 市政公用 市政工程 房屋征收 " + " ".join(PILOT)),
    _t("交通运输", "交通运输 交通", "交通运输 公路 道路运输 公共交通 公共运输 客运 货运 出租车 农村公路 物流"),
    _t("农业农村", "农业农村 农业 畜牧兽医", "农业 农村 粮食 种植 畜牧 兽医 农产品 农民 涉农 农机 动物防疫 高标准农田 乡村振兴 "
       "农村人居环境 " + " ".join(PILOT)),
    _t("水务", "水务 水利", "水利 水务 供水 河长制 河湖 水资源 防汛 抗旱 水土保持 饮水安全 水库 取水"),
    _t("林业草原", "林业和草原 林业 林草", "林业 草原 森林 林地 湿地 自然保护区 野生动植物 森林防火 林场 公益林 退耕还林"),
    _t("文化旅游", "文化和旅游 文化旅游 文旅 广播电视", "文化产业 文化事业 文化遗产 文化惠民 文化传承 文艺 旅游 文物 非物质文化遗产 非遗 公共文化 广播电视 景区 "
       "文化市场 民族文化 " + " ".join(PILOT)),
    _t("卫生健康", "卫生健康 卫健 卫生计生 卫生和计划生育", "医疗 卫生 医院 疫情 疫苗 传染病 公共卫生 防疫 健康中国 健康教育 全民健康 计划生育 妇幼 "
       "新冠肺炎 医疗服务 " + " ".join(PILOT)),
    _t("退役军人事务", "退役军人", "退役军人 优抚 拥军 军人 烈士 军转安置"),
    _t("应急管理", "应急管理 应急 安全生产监督", "应急 安全生产 突发事件 事故灾难 自然灾害 防灾减灾 救灾 应急预案 危险化学品 "
       "防汛 " + " ".join(PILOT)),
    _t("审计", "审计", "审计 审计整改 审计结果"),
    _t("市场监管", "市场监督管理 市场监管 药品监督 知识产权", "市场监管 市场主体 双随机 食品安全 药品 疫苗监管 药品安全 特种设备 "
       "产品质量 知识产权 计量 企业登记 营业执照 反垄断 消费者权益 价格监督 " + " ".join(PILOT)),
    _t("统计", "统计", "统计数据 统计信息 统计公报 统计调查 统计执法 经济普查 人口普查 农业普查"),
    _t("医疗保障", "医疗保障 医保", "医疗保障 医保 医疗保险 药品集中采购 医药价格 医疗救助 大病保险"),
    _t("乡村振兴", "乡村振兴 扶贫", "扶贫 脱贫 乡村振兴 脱贫攻坚 贫困 返贫 易地扶贫搬迁 东西部协作 定点帮扶 衔接资金 "
       + " ".join(PILOT)),
    _t("政务服务", "政务服务 大数据中心", "政务服务 放管服 办事服务 一网通办 一件事一次办 高效办成一件事 跨省通办 一次办 办事通 行政审批 审批服务 便民服务 办事指南 营商环境 "
       "一站式 好差评 12345 证明事项"),
    _t("信访", "信访", "信访 来信来访 矛盾纠纷"),
    _t("综合行政执法", "综合行政执法 城市管理 城管", "城市管理 城管 综合行政执法 市容 环境卫生 违法建设 户外广告 占道经营 "
       + " ".join(PILOT)),
    _t("机关事务", "机关事务", "机关事务 公务用车 办公用房 公共机构节能 机关后勤"),
    _t("档案", "档案", "档案馆 档案管理 档案工作 档案开放 数字档案 档案利用"),
    _t("融媒体", "融媒体 新闻出版", "融媒体 新闻发布 宣传报道 新闻宣传 传播力"),
    _t("供销合作", "供销", "供销 农资 农村流通 供销合作"),
    _t("公共资源交易", "公共资源交易", "公共资源交易 招标投标 招投标 公共资源配置 产权交易 " + " ".join(PILOT)),
    _t("地震", "地震 防震减灾", "地震 防震减灾 震情 自然灾害"),
    _t("残疾人联合会", "残疾人联合会 残联", "残疾人 无障碍 助残"),
    _t("税务", "税务", "税务 税收 纳税 减税降费 税费 发票 " + " ".join(PILOT)),
    _t("气象", "气象", "气象 天气预报 气象灾害 人工影响天气 气候 自然灾害"),
    _t("消防救援", "消防", "消防 火灾 灭火"),
    _t("住房公积金", "住房公积金 公积金", "住房公积金 公积金"),
    # 科室 / 股室 of a bureau
    _t("办公室(科室)", "办公室 综合科 综合股", "政务公开 信息公开 政府网站 政务新媒体 公文 文秘 档案 督查 后勤 依申请公开", SECTION),
    _t("人事(科室)", "人事 组织人事", "人事 干部 组织 培训 工资 党建 编制 人才", SECTION),
    _t("财务(科室)", "财务", "财务 预算 决算 预决算 资金 资产 政府采购 收费", SECTION),
    _t("执法(科室)", "执法", "执法 行政处罚 行政检查 投诉举报 双随机 市场检查", SECTION),
    _t("法规(科室)", "法规 政策法规 法制", "法规 法制 普法 合法性审查 规范性文件 行政许可", SECTION),
    _t("公共服务(科室)", "公共服务", "公共服务 公共文化 惠民 群众文化 免费开放", SECTION),
    _t("产业发展(科室)", "产业发展 发展和改革", "产业 项目 招商 投资 发展规划", SECTION),
    _t("行业管理(科室)", "行业管理", "行业管理 市场管理 经营许可 审批 安全生产", SECTION),
    _t("文化馆", "文化馆", "群众文化 文艺 非遗 公共文化", SECTION),
    _t("图书馆", "图书馆", "图书 阅读 古籍 公共文化", SECTION),
    _t("博物馆", "博物馆 文物", "文物 展览 藏品 博物馆", SECTION),
]

_SECTION_CATEGORIES = ("科室", "下属单位", "股室", "处室")


def unit_types(unit: Unit) -> list[DeptType]:
    """The department types of ``unit``, by its name, aliases and 对口上级单位 (a merged unit has several).

    对口上级单位 entries with a qualifier in brackets (住房城乡建设厅(城管): only part of
    that unit's work) do not make the unit of that type.
    """
    scope = SECTION if unit.category in _SECTION_CATEGORIES else DEPARTMENT
    whole = [k for k in unit.superior_keywords if not re.search(r"[(（]", k)]
    # 人民政府 holds 民政: compare names without it
    names = [n.replace("人民政府", "政府") for n in (unit.name, *unit.aliases, *whole)]
    return [t for t in TYPES if t.scope == scope and any(m in n for m in t.markers for n in names)]


def unit_keywords(unit: Unit) -> dict[str, str]:
    """keyword -> where it comes from (a type label or 「名录」), minus the unit's 排除关键词."""
    out: dict[str, str] = {}
    for t in unit_types(unit):
        for kw in t.keywords:
            out.setdefault(kw, t.label)
    for kw in getattr(unit, "function_keywords", []):
        out.setdefault(kw, "名录")
    for kw in getattr(unit, "excluded_keywords", []):
        out.pop(kw, None)
    return out


def normalize(text: str) -> str:
    """Text as keywords are matched: simplified characters, no whitespace."""
    return "".join(opencc_converter("t2s").convert(text or "").split())


def relevant_units(text: str, directory: Directory, candidates: list[str],
                   exclude: set[str] | frozenset = frozenset()) -> list[tuple[str, list[str]]]:
    """(unit name, matched keywords) of the ``candidates`` whose functions ``text`` touches, in directory order.

    A keyword inside a longer matched keyword of the same unit is not listed again.
    """
    body = normalize(text)
    out: list[tuple[str, list[str]]] = []
    for name in candidates:
        unit = directory.get(name)
        if unit is None or unit.name in exclude:
            continue
        hits = [kw for kw in unit_keywords(unit) if kw and kw in body]
        # drop a keyword covered by a longer hit (城市规划 inside 城市规划建设 keeps only the longer)
        hits = [kw for kw in hits if not any(kw != other and kw in other for other in hits)]
        if hits:
            out.append((unit.name, hits))
    return out
