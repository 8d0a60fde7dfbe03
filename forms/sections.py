"""The shared sections of the unified form (一表申请). Regions pick sections and add fields in form.json."""
from forms.specs import Spec

S = Spec
_PERSON = {
    "name": S("string", "姓名", {"max_length": 50}),
    "id_type": S("choice", "证件类型", {"choices": {"resident_id": "居民身份证"}}),
    "id_number": S("resident_id", "公民身份号码"),
}
_PARENT = {
    **_PERSON,
    "citizenship": S("choice", "国籍/身份", {"choices": {
        "mainland": "中国公民（内地居民）", "hk_macao_taiwan": "港澳台同胞",
        "overseas_chinese": "华侨", "foreign": "外国人"}}),
    "ethnicity": S("ethnicity", "民族"),
    "birth_date": S("date", "出生日期"),
    "native_place": S("division", "籍贯（区县代码）"),
    "hukou_division": S("division", "户籍地行政区划代码"),
    "hukou_address": S("string", "户籍地址", {"max_length": 200}),
    "residence_address": S("string", "居住地址", {"max_length": 200}),
    "household_type": S("choice", "户别", {"table": "household_type"}),
    "phone": S("mobile", "联系电话"),
    "marriage_certificate_number": S("string", "结婚证字号", {"max_length": 50}),
    "insured_division": S("division", "基本医疗保险参保地行政区划代码"),
}

SECTIONS: dict[str, dict[str, Spec]] = {
    "applicant": {
        **_PERSON, "sex": S("choice", "性别", {"table": "sex"}), "phone": S("mobile", "联系电话"),
        "relation": S("choice", "与新生儿关系", {"table": "relation"}),
        "hukou_division": S("division", "户籍所在地行政区划代码"),
    },
    "newborn": {
        "name": S("string", "新生儿姓名", {"max_length": 50}),
        "sex": S("choice", "性别", {"table": "sex"}),
        "birth_time": S("datetime", "出生时间"),
        "ethnicity": S("ethnicity", "民族"),
        "id_number": S("resident_id", "公民身份号码"),
        "birth_certificate_number": S("string", "《出生医学证明》编号", {"max_length": 20}),
        "blood_type": S("choice", "血型", {"choices": {
            "A": "A型", "B": "B型", "O": "O型", "AB": "AB型", "unknown": "不详"}}),
        "native_place": S("division", "籍贯（区县代码）"),
        "birthplace_division": S("division", "出生地行政区划代码"),
    },
    "birth": {
        "place_type": S("choice", "出生地点类型", {"table": "birth_place"}),
        "institution": S("string", "分娩助产机构", {"max_length": 100}),
        "institution_division": S("division", "助产机构所在地行政区划代码"),
        "gestational_weeks": S("measure", "出生孕周", {"min": 20, "max": 45, "code": "gestational_weeks_range"}),
        "weight_g": S("measure", "出生体重（克）", {"min": 300, "max": 7000, "code": "birth_weight_range"}),
        "length_cm": S("measure", "出生身长（厘米）", {"min": 20, "max": 70, "code": "birth_length_range"}),
        "delivery_mode": S("choice", "分娩方式", {"choices": {"vaginal": "阴道分娩", "caesarean": "剖宫产"}}),
        "health": S("choice", "健康状况", {"choices": {"good": "良好", "fair": "一般", "poor": "差"}}),
        "midwife": S("string", "接生人员", {"max_length": 50}),
    },
    "mother": dict(_PARENT),
    "father": dict(_PARENT),
    "marriage": {
        "in_marriage": S("boolean", "是否婚内生育"),
        "certificate_number": S("string", "结婚证字号", {"max_length": 50}),
    },
    "hukou": {
        "follows": S("choice", "户口随（父亲/母亲）申报", {"table": "parent"}),
        "division": S("division", "拟落户地行政区划代码"),
        "police_station": S("string", "落户派出所", {"max_length": 100}),
        "address": S("string", "落户地址", {"max_length": 200}),
        "householder_name": S("string", "户主姓名", {"max_length": 50}),
        "householder_id_number": S("resident_id", "户主公民身份号码"),
        "relation_to_householder": S("string", "与户主关系", {"max_length": 20}),
        "household_type": S("choice", "户别", {"table": "household_type"}),
        "ethnicity_follows": S("choice", "民族随（父亲/母亲）", {"table": "parent"}),
    },
    "insurance": {
        "division": S("division", "参保地行政区划代码"),
        "township": S("string", "乡镇（街道）", {"max_length": 50}),
        "village": S("string", "村（社区）", {"max_length": 50}),
    },
    "card": {
        "issuing_division": S("division", "发卡地行政区划代码"),
        "bank": S("choice", "开户银行", {"table": "bank"}),
        "pickup_place": S("string", "领卡网点", {"max_length": 100}),
        "applied_elsewhere": S("boolean", "是否已在其他渠道或省市申领社会保障卡"),
    },
    "maternity": {
        "payout": S("choice", "生育医疗费用发放至", {"choices": {
            "social_security_card": "母亲社会保障卡", "bank_card": "母亲银行卡"}}),
        "bank_name": S("string", "开户银行", {"max_length": 50}),
        "account": S("bank_card", "银行账号"),
    },
    "delivery": {
        "method": S("choice", "领取方式", {"table": "delivery_method"}),
        "pickup_place": S("string", "领取地点", {"max_length": 100}),
        "address": S("string", "邮寄地址", {"max_length": 200}),
        "recipient_name": S("string", "收件人", {"max_length": 50}),
        "recipient_relation": S("choice", "收件人与新生儿关系", {"table": "relation"}),
        "recipient_phone": S("mobile", "收件人联系电话"),
    },
    "authorisation": {
        "principal_name": S("string", "委托人姓名", {"max_length": 50}),
        "principal_id_number": S("resident_id", "委托人公民身份号码"),
        "agent_name": S("string", "受托人（单位）", {"max_length": 100}),
        "valid_from": S("date", "委托期限起"),
        "valid_to": S("date", "委托期限止"),
    },
    "parenting": {
        "residence_division": S("division", "儿童常住地行政区划代码"),
        "address": S("string", "儿童常住地址", {"max_length": 200}),
    },
    "pledge": {
        "mother_signed": S("boolean", "母亲已签名承诺"),
        "father_signed": S("boolean", "父亲已签名承诺"),
    },
}

# Fields every region's section requires; region files may require more.
REQUIRED: dict[str, set[str]] = {
    "applicant": {"name", "id_number", "phone", "relation"},
    "newborn": {"sex", "birth_time"},
    "birth": {"place_type", "gestational_weeks", "weight_g", "length_cm"},
    "mother": {"name", "id_number", "ethnicity", "hukou_division"},
    "father": {"name", "id_number", "ethnicity", "hukou_division"},
    "marriage": {"in_marriage"},
    "hukou": {"follows", "division"},
    "delivery": {"method"},
}

# Sex the identity number must show: a value, or the sibling field that states it.
SEX_OF_ID: dict[str, str] = {
    "mother": "female", "father": "male", "applicant": "@sex", "newborn": "@sex",
}

SECTION_TITLES: dict[str, str] = {
    "applicant": "申请人", "newborn": "新生儿", "birth": "分娩信息（接生人员填写）",
    "mother": "母亲", "father": "父亲", "marriage": "婚姻", "hukou": "户口登记及户主",
    "insurance": "城乡居民医保参保", "card": "社会保障卡", "maternity": "生育医疗费用报销",
    "delivery": "证件领取与送达", "authorisation": "授权委托", "parenting": "科学育儿指导服务登记",
    "pledge": "承诺签名",
}
